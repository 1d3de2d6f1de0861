// zlib (package zlib1g-dev) compresses our CSS and JavaScript once at start-up, so each request
// for them sends kept gzip bytes instead of compressing the same file again.
#include <zlib.h>
