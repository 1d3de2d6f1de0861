// The receipt code copied with one tap. Where the browser refuses the clipboard, the code is
// selected so the phone's own menu can copy it.
(function () {
  var button = document.getElementById('copy-code');
  var code = document.getElementById('receipt-code');
  if (!button || !code) return;
  var status = document.getElementById('copy-status');
  button.hidden = false;
  function selectCode() {
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  button.addEventListener('click', function () {
    var text = code.textContent.trim();
    function copied() { status.textContent = button.getAttribute('data-copied'); }
    function fallback() {
      selectCode();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      status.textContent = button.getAttribute(ok ? 'data-copied' : 'data-select');
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(copied, fallback);
    else fallback();
  });
})();
