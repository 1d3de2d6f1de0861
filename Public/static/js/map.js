// The public map: published incidents in view from /api/v1/incidents/clusters, red = not
// stopped, blue = stopped, clustered by the server where the view holds many; or, as a second layer, how many reports each
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
  if (window.dauysTouchMap) window.dauysTouchMap(map, element.getAttribute('data-touch-hint'));
  L.tileLayer(element.getAttribute('data-tiles'), {
    maxZoom: 19, attribution: element.getAttribute('data-attribution')
  }).addTo(map);
  // Only the view is asked for (/api/v1/incidents/clusters): pins where it holds few
  // incidents, clusters where it holds many, each cluster's circle red and blue in the share
  // of incidents not stopped and stopped. The server counts; the browser never holds them all.
  var pins = L.featureGroup();
  var clusters = L.layerGroup();
  var incidents = L.layerGroup([pins, clusters]);
  map.addLayer(incidents);
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

  function view() {
    var b = map.getBounds().pad(0.2);
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(5); }).join(',');
  }

  function pin(point) {
    var colour = point.prevented ? colours.prevented : colours.notPrevented;
    var marker = L.circleMarker([point.latitude, point.longitude], {
      radius: 9, weight: 2, color: colour, fillColor: colour, fillOpacity: 0.75,
      className: point.prevented ? 'pin-prevented' : 'pin-not-prevented'
    });
    // Leaflet asks for the content again when the popup updates: ask the server once.
    var content = null;
    marker.bindPopup(function () { return content || (content = popup(point.id)); }, { autoPanPadding: [12, 12], minWidth: Math.min(240, window.innerWidth - 80), maxWidth: Math.min(320, window.innerWidth - 40) });
    return marker;
  }

  // A circle with the count, red and blue in the share of incidents not stopped and stopped;
  // a tap zooms into the incidents it holds. Drawn with the DOM (no markup strings), so the
  // page's Content-Security-Policy needs no inline styles.
  function cluster(group) {
    var size = group.count < 10 ? 34 : group.count < 100 ? 40 : group.count < 1000 ? 48 : 56;
    var marker = L.marker([group.latitude, group.longitude], {
      icon: L.divIcon({ html: '', className: 'incident-cluster', iconSize: [size, size] }),
      keyboard: true, title: words('cluster', { n: String(group.count), stopped: String(group.prevented) })
    });
    marker.on('add', function () {
      var circle = marker.getElement();
      if (!circle) return;
      var blue = Math.round(360 * group.prevented / group.count);
      circle.style.background = 'conic-gradient(' + colours.prevented + ' 0deg ' + blue + 'deg, ' +
        colours.notPrevented + ' ' + blue + 'deg 360deg)';
      var label = document.createElement('span');
      label.textContent = group.count >= 10000 ? Math.round(group.count / 1000) + 'k' : String(group.count);
      circle.textContent = '';
      circle.appendChild(label);
      circle.setAttribute('data-count', String(group.count));
      circle.setAttribute('data-prevented', String(group.prevented));
    });
    marker.on('click', function () {
      var box = L.latLngBounds([group.south, group.west], [group.north, group.east]);
      if (box.getNorth() - box.getSouth() < 0.0001 && box.getEast() - box.getWest() < 0.0001) {
        map.setView(box.getCenter(), Math.min(map.getZoom() + 3, 18));
      } else {
        map.fitBounds(box.pad(0.1), { maxZoom: 18 });
      }
    });
    return marker;
  }

  var generation = 0;
  // While a pin's popup is open the view is not replaced: opening it may pan the map, and
  // reloading then would close the popup the person just opened.
  var pinPopupOpen = false;
  // The view last asked for: the same view is not asked for twice (setting the start view
  // fires a move that would have fetched it again).
  var lastView = null;
  // The first view comes with the page (issue #15: on a slow connection its own request
  // was a second's wait): the whole country at the start zoom, for the page's filters.
  var initial = JSON.parse(element.getAttribute('data-initial') || 'null');
  function load() {
    var params = query();
    params.set('zoom', String(map.getZoom()));
    params.set('bbox', view());
    if (params.toString() === lastView) return;
    lastView = params.toString();
    var mine = ++generation;
    element.removeAttribute('data-loaded');
    var first = initial;
    initial = null;
    if (first && first.zoom === map.getZoom()) {
      draw(first);
      return;
    }
    if (status) status.textContent = element.getAttribute('data-status');
    fetch('/api/v1/incidents/clusters?' + params.toString(), { headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : { clusters: [], points: [] }; })
      .then(function (result) { if (mine === generation) draw(result); })
      .catch(function () { lastView = null; if (status) status.textContent = ''; });
  }
  function draw(result) {
    pins.clearLayers();
    clusters.clearLayers();
    result.points.forEach(function (point) { pins.addLayer(pin(point)); });
    result.clusters.forEach(function (group) { clusters.addLayer(cluster(group)); });
    if (status) status.textContent = '';
    element.setAttribute('data-loaded', String(result.points.length + result.clusters.length));
    // When the first view was drawn, for the page-weight test (issue #15).
    if (window.performance && performance.mark && !performance.getEntriesByName('dauys-ready').length) performance.mark('dauys-ready');
  }
  map.on('popupopen', function (event) { if (pins.hasLayer(event.popup._source)) pinPopupOpen = true; });
  map.on('popupclose', function () { pinPopupOpen = false; });
  var moved = null;
  map.on('moveend', function () {
    if (pinPopupOpen || showingDensity()) return;
    clearTimeout(moved);
    moved = setTimeout(load, 150);
  });

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
    if (count.fewerThanTen) return words('fewer-than-ten', {});
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
      map.removeLayer(incidents);
      map.addLayer(density);
      loadDensity();
    } else {
      map.removeLayer(density);
      map.addLayer(incidents);
      load();
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
  window.dauysPins = pins;
  window.dauysDensity = density;
})();
