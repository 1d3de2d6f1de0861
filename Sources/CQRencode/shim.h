// Debian's libqrencode (package libqrencode-dev) draws the QR code of a second-factor secret,
// so the enrolment page needs no third-party service.
#include <qrencode.h>
