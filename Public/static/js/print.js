// "Print or save" for the action plan; without JavaScript the browser's own Print does it.
(function () {
  var button = document.getElementById('print-plan');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', function () { window.print(); });
})();
