// The report form, one step at a time, with a progress indicator and a map to tap.
// Without JavaScript the same form shows every step at once and the city stands for the place.
(function () {
  var form = document.getElementById('report-form');
  if (!form) return;
  var steps = Array.prototype.slice.call(form.querySelectorAll('fieldset.step'));
  var progress = Array.prototype.slice.call(document.querySelectorAll('#progress li'));
  var nav = document.getElementById('step-nav');
  var back = document.getElementById('step-back');
  var next = document.getElementById('step-next');
  var current = 0;

  // After a failed submission, open the first step that has an error.
  var firstError = form.querySelector('.field-error');
  if (firstError) {
    steps.forEach(function (step, index) { if (current === 0 && step.contains(firstError)) current = index; });
  }

  // `moveFocus`: after a step change, focus goes to the new step's heading, so a screen
  // reader announces where the person is and the keyboard starts from there.
  function show(index, moveFocus) {
    current = Math.max(0, Math.min(index, steps.length - 1));
    steps.forEach(function (step, i) { step.classList.toggle('current', i === current); });
    progress.forEach(function (item, i) {
      if (i === current) item.setAttribute('aria-current', 'step'); else item.removeAttribute('aria-current');
      item.classList.toggle('done', i < current);
    });
    back.hidden = current === 0;
    next.hidden = current === steps.length - 1;
    submit.hidden = current !== steps.length - 1;
    counter.textContent = form.getAttribute('data-step-label').replace('{n}', current + 1).replace('{total}', steps.length);
    if (pickMap) setTimeout(function () { pickMap.invalidateSize(); }, 0);
    if (moveFocus) steps[current].querySelector('legend').focus();
  }

  function kindsChosen() {
    return form.querySelectorAll('input[name="kinds[]"]:checked').length > 0;
  }

  // Checks the visible step with the browser's own messages before moving on.
  function stepIsValid() {
    var fields = steps[current].querySelectorAll('input, select, textarea');
    for (var i = 0; i < fields.length; i++) {
      if (!fields[i].checkValidity()) { fields[i].reportValidity(); return false; }
    }
    if (steps[current].contains(document.getElementById('kinds-group')) && !kindsChosen()) {
      var first = form.querySelector('input[name="kinds[]"]');
      first.setCustomValidity(form.getAttribute('data-kinds-error'));
      first.reportValidity();
      first.addEventListener('change', function clear() { first.setCustomValidity(''); }, { once: true });
      return false;
    }
    return true;
  }

  form.classList.add('js-steps');
  document.body.classList.add('js-steps-page');
  nav.hidden = false;
  // Submit joins Back and Next in the bar (fixed to the bottom of a phone's screen), so no
  // step ever needs scrolling to find its button.
  var submit = document.getElementById('submit-report');
  var spacer = document.createElement('span');
  spacer.className = 'spacer';
  nav.insertBefore(spacer, next);
  nav.appendChild(submit);
  // On a phone the list of steps gives way to "Step 2 of 5" above the step's own heading.
  var counter = document.createElement('p');
  counter.className = 'step-counter';
  counter.id = 'step-counter';
  form.parentNode.insertBefore(counter, form);
  progress.forEach(function (item, i) {
    item.querySelector('a').addEventListener('click', function (event) {
      event.preventDefault();
      if (i <= current || stepIsValid()) show(i, true);
    });
  });
  back.addEventListener('click', function () { show(current - 1, true); });
  next.addEventListener('click', function () { if (stepIsValid()) show(current + 1, true); });
  form.addEventListener('submit', function (event) {
    if (!kindsChosen()) { event.preventDefault(); show(steps.indexOf(document.getElementById('step-what'))); stepIsValid(); }
  });

  // Only ask who the person is, and who stopped it, when that applies.
  function toggle(groupId, radioName, value) {
    var group = document.getElementById(groupId);
    function update() {
      var chosen = form.querySelector('input[name="' + radioName + '"]:checked');
      var on = chosen && chosen.value === value;
      group.hidden = !on;
      group.querySelectorAll('input').forEach(function (input) { input.required = on; if (!on) input.checked = false; });
    }
    form.querySelectorAll('input[name="' + radioName + '"]').forEach(function (radio) { radio.addEventListener('change', update); });
    update();
  }
  toggle('relation-group', 'perpetrator', 'known');
  toggle('prevented-by-group', 'prevented', 'yes');

  // "What came of it" only after telling someone; "nobody" stands alone.
  (function () {
    var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="toldWhom[]"]'));
    var outcome = document.getElementById('told-outcome-group');
    if (!outcome || !boxes.length) return;
    function update(changed) {
      if (changed && changed.checked) {
        boxes.forEach(function (box) {
          if (box !== changed && (changed.value === 'nobody' || box.value === 'nobody')) box.checked = false;
        });
      }
      var someone = boxes.some(function (box) { return box.checked && box.value !== 'nobody'; });
      outcome.hidden = !someone;
      if (!someone) outcome.querySelectorAll('input').forEach(function (input) { input.checked = false; });
    }
    boxes.forEach(function (box) { box.addEventListener('change', function () { update(box); }); });
    update(null);
  })();

  // The map: tapping sets the point and picks the nearest city.
  var pickMap = null;
  var mapBox = document.getElementById('pick-map');
  if (mapBox && window.L) {
    document.getElementById('map-picker').hidden = false;
    var cities = JSON.parse(mapBox.getAttribute('data-cities') || '[]');
    var latitude = document.getElementById('latitude');
    var longitude = document.getElementById('longitude');
    var citySelect = document.getElementById('city');
    var status = document.getElementById('pick-status');
    pickMap = L.map(mapBox).setView([48.0, 67.5], 5);
    if (window.dauysTouchMap) window.dauysTouchMap(pickMap, mapBox.getAttribute('data-touch-hint'));
    L.tileLayer(mapBox.getAttribute('data-tiles'), { maxZoom: 19, attribution: mapBox.getAttribute('data-attribution') }).addTo(pickMap);
    var marker = null;
    function place(lat, lon) {
      if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon], { keyboard: false }).addTo(pickMap);
      latitude.value = lat.toFixed(6);
      longitude.value = lon.toFixed(6);
      status.textContent = status.getAttribute('data-picked');
    }
    pickMap.on('click', function (event) {
      var lat = event.latlng.lat, lon = event.latlng.lng;
      if (lat < 40.5 || lat > 55.5 || lon < 46.4 || lon > 87.4) return;
      place(lat, lon);
      var nearest = null, best = Infinity;
      cities.forEach(function (city) {
        var d = Math.pow(city.lat - lat, 2) + Math.pow((city.lon - lon) * Math.cos(lat * Math.PI / 180), 2);
        if (d < best) { best = d; nearest = city; }
      });
      if (nearest && best < 0.5) citySelect.value = nearest.slug;
    });
    citySelect.addEventListener('change', function () {
      var city = cities.filter(function (c) { return c.slug === citySelect.value; })[0];
      if (city) pickMap.setView([city.lat, city.lon], 12);
    });
    if (latitude.value && longitude.value) {
      place(parseFloat(latitude.value), parseFloat(longitude.value));
      pickMap.setView([parseFloat(latitude.value), parseFloat(longitude.value)], 14);
    }
    // "Skip the map — the city is enough": no point is sent, the city stands for the place.
    document.getElementById('skip-map').addEventListener('click', function (event) {
      if (marker) { pickMap.removeLayer(marker); marker = null; }
      latitude.value = '';
      longitude.value = '';
      mapBox.hidden = true;
      document.getElementById('pick-hint').hidden = true;
      event.target.hidden = true;
      status.textContent = event.target.getAttribute('data-skipped');
    });
    // Opening on the chosen city, or the whole country until one is chosen.
    var chosen = cities.filter(function (c) { return c.slug === citySelect.value; })[0];
    if (chosen && !latitude.value) pickMap.setView([chosen.lat, chosen.lon], 12);
    window.dauysPickMap = pickMap;
  }
  show(current);
  window.dauysReportSteps = { show: function (index) { show(index, true); } };
  // After a refused submission the summary of what to fix is read first; its links lead on.
  var summary = document.getElementById('error-summary');
  if (summary) {
    summary.focus();
    // A link to a field on another step opens that step first.
    summary.querySelectorAll('a').forEach(function (link) {
      link.addEventListener('click', function (event) {
        var target = document.getElementById(link.getAttribute('href').slice(1));
        if (!target) return;
        event.preventDefault();
        steps.forEach(function (step, index) { if (step.contains(target)) show(index); });
        target.focus();
      });
    });
  }
})();
