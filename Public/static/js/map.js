// The public map: published incidents from /api/v1/incidents, red = not stopped,
// blue = stopped, clustered when zoomed out; or, as a second layer, how many reports each
// 1 km square and each city holds (/api/v1/incidents/density). Popup text is inserted as text, never as HTML.
(function () {
  var element = document.getElementById('map');
  if (!element || !window.L) return;
  var cities = JSON.parse(element.getAttribute('data-cities') || '[]');
  var status = document.getElementById('map-status');
  var form = document.getElementById('filters');
  // The pins take the site's own colour variables (site.css :root), so the legend matches.
  var style = getComputedStyle(document.documentElement);
  var colours = {
    prevented: style.getPropertyValue('--blue').trim(),
    notPrevented: style.getPropertyValue('--red').trim()
  };

  var map = L.map(element, { scrollWheelZoom: false }).setView([48.0, 67.5], 5);
  L.tileLayer(element.getAttribute('data-tiles'), {
    maxZoom: 19, attribution: element.getAttribute('data-attribution')
  }).addTo(map);
  // From street level on, every pin stands on its own.
  var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, disableClusteringAtZoom: 14 });
  map.addLayer(cluster);

  function line(parent, text, strong) {
    var p = document.createElement('p');
    if (strong) { var b = document.createElement('strong'); b.textContent = text; p.appendChild(b); }
    else { p.textContent = text; }
    parent.appendChild(p);
  }

  // The words come from the server (one presenter for every display); they are set as text.
  function popup(id) {
    var box = document.createElement('div');
    box.className = 'popup-text';
    box.setAttribute('aria-busy', 'true');
    line(box, element.getAttribute('data-status'));
    var language = document.documentElement.getAttribute('lang') || 'ru';
    fetch('/api/v1/incidents/' + encodeURIComponent(id) + '?lang=' + encodeURIComponent(language),
      { headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (incident) {
        box.textContent = '';
        box.removeAttribute('aria-busy');
        if (!incident) return;
        incident.facts.forEach(function (fact) {
          if (!fact.value) return;
          if (fact.field === 'outcome') line(box, fact.value, true);
          else if (fact.field === 'description') line(box, fact.value);
          else line(box, fact.label + ': ' + fact.value);
        });
      });
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
            // Leaflet asks for the content again when the popup updates: ask the server once.
            var content = null;
            marker.bindPopup(function () { return content || (content = popup(feature.id)); });
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

  // The "more often / less often" layer: 1 km squares in a city's view, one circle per city
  // in the country's. Counts come rounded from the server; "fewer than 5" is never a number.
  var layers = document.getElementById('map-layers');
  var pinsLegend = document.getElementById('legend-pins');
  var densityLegend = document.getElementById('legend-density');
  var density = L.layerGroup();
  var shades = { some: 0.25, few: 0.45, several: 0.65, many: 0.9 };
  var cityRadius = { some: 8, few: 12, several: 18, many: 26 };
  var cellZoom = 9;
  var densityGeneration = 0;
  // Whether a square's or a city's popup is open: the layer is not replaced under it.
  var densityPopupOpen = false;
  colours.density = style.getPropertyValue('--density').trim();

  function words(name, values) {
    var text = element.getAttribute('data-density-' + name) || '';
    Object.keys(values).forEach(function (key) { text = text.split('{' + key + '}').join(values[key]); });
    return text;
  }
  function amount(count) {
    return count.fewerThanFive ? words('fewer-than-five', {}) : String(count.count);
  }
  function showingDensity() {
    return layers && layers.querySelector('input[value=density]').checked;
  }

  function loadDensity() {
    var mine = ++densityGeneration;
    var params = query();
    var cells = map.getZoom() >= cellZoom;
    if (cells) {
      var b = map.getBounds().pad(0.25);
      params.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(5); }).join(','));
    }
    element.removeAttribute('data-density-loaded');
    fetch('/api/v1/incidents/density?' + params.toString(), { headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : { cells: [], cities: [] }; })
      .then(function (result) {
        if (mine !== densityGeneration || densityPopupOpen) return;
        density.clearLayers();
        var names = {};
        cities.forEach(function (c) { names[c.slug] = c.name; });
        if (cells) {
          result.cells.forEach(function (cell) {
            var square = L.rectangle([[cell.south, cell.west], [cell.north, cell.east]], {
              stroke: false, fillColor: colours.density, fillOpacity: shades[cell.level],
              className: 'density-cell density-' + cell.level
            });
            var text = cell.count.fewerThanFive ? words('cell-some', {}) : words('cell', { n: cell.count.count });
            square.bindPopup(function () { var p = document.createElement('p'); p.textContent = text; return p; });
            density.addLayer(square);
          });
        } else {
          result.cities.forEach(function (city) {
            var circle = L.circleMarker([city.latitude, city.longitude], {
              radius: cityRadius[city.level], weight: 1, color: colours.density, fillColor: colours.density,
              fillOpacity: shades[city.level], className: 'density-city density-' + city.level
            });
            var name = names[city.city] || city.city;
            var first = city.total.fewerThanFive ? words('city-some', { city: name }) : words('city', { city: name, n: city.total.count });
            var second = words('without-pin', { n: amount(city.withoutPin) });
            circle.bindPopup(function () {
              var box = document.createElement('div');
              line(box, first, true);
              line(box, second);
              return box;
            });
            density.addLayer(circle);
          });
        }
        element.setAttribute('data-density-loaded', cells ? 'cells' : 'cities');
      })
      .catch(function () {});
  }

  function showLayer() {
    var on = showingDensity();
    if (pinsLegend) pinsLegend.hidden = on;
    if (densityLegend) densityLegend.hidden = !on;
    if (on) {
      map.removeLayer(cluster);
      map.addLayer(density);
      loadDensity();
    } else {
      map.removeLayer(density);
      map.addLayer(cluster);
    }
  }
  if (layers) {
    layers.hidden = false;
    layers.addEventListener('change', showLayer);
    // A city's squares follow the view; the country's circles do not need to. While a square's
    // or a city's popup is open the layer stays as it is: opening a popup near the edge pans the
    // map, and reloading then would close the popup the person just opened.
    map.on('popupopen', function () { densityPopupOpen = true; });
    map.on('popupclose', function () {
      densityPopupOpen = false;
      if (showingDensity()) loadDensity();
    });
    map.on('moveend', function () { if (showingDensity() && !densityPopupOpen) loadDensity(); });
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
      if (showingDensity()) loadDensity();
    });
    if (form.elements.city) form.elements.city.addEventListener('change', focusCity);
  }
  focusCity();
  load();
  window.dauysMap = map;
  window.dauysPins = cluster;
  window.dauysDensity = density;
})();
