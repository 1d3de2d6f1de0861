// Maps on a touch screen (issue #15): one finger scrolls the page past the map, two fingers
// move and zoom it. A one-finger swipe on the map says so for a moment.
window.dauysTouchMap = function (map, hint) {
  if (!window.L || !L.Browser.mobile) return;
  map.dragging.disable();
  var box = map.getContainer();
  var note = document.createElement('div');
  note.className = 'map-touch-hint';
  note.textContent = hint;
  note.hidden = true;
  box.appendChild(note);
  var timer = null;
  box.addEventListener('touchmove', function (event) {
    if (event.touches.length !== 1) { note.hidden = true; return; }
    note.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(function () { note.hidden = true; }, 1500);
  }, { passive: true });
};
