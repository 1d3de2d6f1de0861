// The report's place on a small map for its moderator: the exact point in red, the public
// point (once published) in blue, both in view.
(function () {
  var box = document.getElementById('report-map');
  if (!box || !window.L) return;
  var style = getComputedStyle(document.documentElement);
  var exact = [parseFloat(box.getAttribute('data-latitude')), parseFloat(box.getAttribute('data-longitude'))];
  var map = L.map(box, { scrollWheelZoom: false }).setView(exact, 15);
  if (window.dauysTouchMap) window.dauysTouchMap(map, box.getAttribute('data-touch-hint'));
  L.tileLayer(box.getAttribute('data-tiles'), { maxZoom: 19, attribution: box.getAttribute('data-attribution') }).addTo(map);
  var colour = style.getPropertyValue('--red').trim();
  L.circleMarker(exact, { radius: 9, color: '#fff', weight: 2, fillColor: colour, fillOpacity: 1, className: 'report-exact' }).addTo(map);
  if (box.hasAttribute('data-public-latitude')) {
    var shown = [parseFloat(box.getAttribute('data-public-latitude')), parseFloat(box.getAttribute('data-public-longitude'))];
    L.circleMarker(shown, { radius: 9, color: '#fff', weight: 2, fillColor: style.getPropertyValue('--blue').trim(), fillOpacity: 1, className: 'report-public' }).addTo(map);
    map.fitBounds(L.latLngBounds([exact, shown]).pad(0.5), { maxZoom: 16 });
  }
  box.setAttribute('data-ready', '');
})();
