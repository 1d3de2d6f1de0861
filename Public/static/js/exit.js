// Quick exit: leave at once for a neutral site and replace this page in the history, so the
// Back button does not bring the visitor back here. Pressing Escape twice does the same.
(function () {
  var link = document.getElementById('quick-exit');
  if (!link) return;
  function leave(event) {
    if (event) event.preventDefault();
    document.body.style.visibility = 'hidden';
    window.location.replace(link.href);
  }
  link.addEventListener('click', leave);
  var lastEscape = 0;
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') return;
    var now = Date.now();
    if (now - lastEscape < 800) leave();
    lastEscape = now;
  });
})();
