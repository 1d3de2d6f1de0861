// The public map: published incidents from /api/v1/incidents, red = not stopped,
// blue = stopped, clustered when zoomed out. Popup text is inserted as text, never as HTML.
(function () {
  var element = document.getElementById('map');
  if (!element || !window.L) return;
  var labels = JSON.parse(element.getAttribute('data-labels') || '{}');
  var cities = JSON.parse(element.getAttribute('data-cities') || '[]');
  var status = document.getElementById('map-status');
  var form = document.getElementById('filters');
  var colours = { prevented: '#1d4ed8', notPrevented: '#c81e1e' };

  var map = L.map(element, { scrollWheelZoom: false }).setView([48.0, 67.5], 5);
  L.tileLayer(element.getAttribute('data-tiles'), {
    maxZoom: 19, attribution: element.getAttribute('data-attribution')
  }).addTo(map);
  // From street level on, every pin stands on its own.
  var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, disableClusteringAtZoom: 14 });
  map.addLayer(cluster);

  function label(key) { return labels[key] || key; }

  function line(parent, text, strong) {
    var p = document.createElement('p');
    if (strong) { var b = document.createElement('strong'); b.textContent = text; p.appendChild(b); }
    else { p.textContent = text; }
    parent.appendChild(p);
  }

  function popup(properties) {
    var box = document.createElement('div');
    box.className = 'popup-text';
    line(box, label(properties.prevented ? 'legend_prevented' : 'legend_not_prevented'), true);
    var when = properties.date + (properties.timeBand ? ' · ' + label('band_' + properties.timeBand) : '');
    line(box, when + ' · ' + label('city_' + properties.city));
    line(box, label('place_' + properties.placeType) + ' · ' +
      properties.kinds.map(function (k) { return label('kind_' + k); }).join(', '));
    var who = label('perpetrator_' + properties.perpetrator);
    if (properties.perpetratorRelation) who = label('relation_' + properties.perpetratorRelation);
    line(box, who);
    if (properties.prevented && properties.preventedBy) {
      line(box, label('popup_prevented_by') + ': ' + label('prevented_by_' + properties.preventedBy));
    }
    line(box, properties.description);
    return box;
  }

  function query() {
    var params = new URLSearchParams();
    if (!form) return params;
    var data = new FormData(form);
    var mapping = { from: 'from', to: 'to', kind: 'kinds', placeType: 'placeTypes', perpetrator: 'perpetrator', prevented: 'prevented', city: 'city' };
    Object.keys(mapping).forEach(function (name) {
      var value = data.get(name);
      if (value) params.set(mapping[name], name === 'prevented' ? (value === 'yes' ? 'true' : 'false') : value);
    });
    return params;
  }

  var generation = 0;
  function load() {
    var mine = ++generation;
    cluster.clearLayers();
    element.removeAttribute('data-loaded');
    if (status) status.textContent = element.getAttribute('data-status');
    var params = query();
    var count = 0;
    function page(number) {
      params.set('perPage', '1000');
      params.set('page', String(number));
      return fetch('/api/v1/incidents?' + params.toString(), { headers: { Accept: 'application/geo+json' } })
        .then(function (response) { return response.ok ? response.json() : { features: [], total: 0 }; })
        .then(function (collection) {
          if (mine !== generation) return;
          var markers = collection.features.map(function (feature) {
            var prevented = feature.properties.prevented;
            var marker = L.circleMarker([feature.geometry.coordinates[1], feature.geometry.coordinates[0]], {
              radius: 9, weight: 2, color: prevented ? colours.prevented : colours.notPrevented,
              fillColor: prevented ? colours.prevented : colours.notPrevented, fillOpacity: 0.75,
              className: prevented ? 'pin-prevented' : 'pin-not-prevented'
            });
            marker.bindPopup(function () { return popup(feature.properties); });
            return marker;
          });
          cluster.addLayers(markers);
          count += markers.length;
          if (collection.features.length === 1000 && number * 1000 < collection.total) return page(number + 1);
          if (status) status.textContent = '';
          element.setAttribute('data-loaded', String(count));
        });
    }
    page(1).catch(function () { if (status) status.textContent = ''; });
  }

  function focusCity() {
    var slug = form && form.elements.city ? form.elements.city.value : '';
    var city = cities.filter(function (c) { return c.slug === slug; })[0];
    if (city) map.setView([city.lat, city.lon], 12); else map.setView([48.0, 67.5], 5);
  }

  if (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var params = new URLSearchParams(new FormData(form));
      Array.from(params.keys()).forEach(function (key) { if (!params.get(key)) params.delete(key); });
      history.replaceState(null, '', '?' + params.toString());
      focusCity();
      load();
    });
    if (form.elements.city) form.elements.city.addEventListener('change', focusCity);
  }
  focusCity();
  load();
  window.dauysMap = map;
  window.dauysPins = cluster;
})();
