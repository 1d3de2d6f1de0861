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

  // Our own messages, in the page's language, in a summary at the top of the step and next to
  // each field (issue #15): the browser's own bubbles spoke its language, not the page's.
  function message(name) { return form.getAttribute('data-msg-' + name); }

  function problemOf(field) {
    var v = field.validity;
    if (field.id === 'description') {
      var length = field.value.trim().length;
      if (length < (field.minLength || 0) || (field.maxLength > 0 && length > field.maxLength)) return message('description');
    }
    if (v.valueMissing) return message('required');
    if (v.rangeOverflow) return message('date-future');
    if (v.rangeUnderflow) return message('date-old');
    if (v.badInput || v.typeMismatch) return field.type === 'time' ? message('time') : message('date-format');
    if (v.tooShort || v.tooLong) return message('description');
    return v.valid ? null : message('required');
  }

  // Where a field's message goes: after the field, or at the end of its group of choices.
  function errorSlot(field) {
    var group = (field.type === 'radio' || field.type === 'checkbox') ? field.closest('fieldset.group') : null;
    var id = group ? (group.getAttribute('aria-describedby') || (field.name.replace('[]', '') + '-error')) : field.id + '-error';
    var slot = document.getElementById(id);
    if (!slot) {
      slot = document.createElement(group ? 'p' : 'span');
      slot.className = 'field-error';
      slot.id = id;
      if (group) group.appendChild(slot); else field.parentNode.appendChild(slot);
    }
    (group || field).setAttribute('aria-describedby', ((group || field).getAttribute('aria-describedby') || '')
      .split(' ').filter(function (x) { return x && x !== id; }).concat([id]).join(' '));
    return slot;
  }

  function clearError(field) {
    var group = field.closest('fieldset.group');
    var slot = document.getElementById(group && (field.type === 'radio' || field.type === 'checkbox')
      ? (group.getAttribute('aria-describedby') || '').split(' ').pop() : field.id + '-error');
    if (slot && slot.classList.contains('field-error')) slot.textContent = '';
    field.removeAttribute('aria-invalid');
  }

  // The problems of one step: [field to focus, message], one per question.
  function problemsIn(step) {
    var problems = [];
    var seen = {};
    step.querySelectorAll('input, select, textarea').forEach(function (field) {
      if (field.type === 'hidden' || field.disabled || seen[field.name] || field.closest('[hidden]')) return;
      var text = null;
      if (field.name === 'kinds[]') {
        if (!kindsChosen()) text = form.getAttribute('data-kinds-error');
      } else if (field.type === 'radio') {
        if (field.required && !form.querySelector('input[name="' + field.name + '"]:checked')) text = message('required');
      } else {
        text = problemOf(field);
      }
      if (field.type === 'radio' || field.type === 'checkbox') seen[field.name] = true;
      if (text) problems.push([field, text]);
    });
    return problems;
  }

  var stepSummary = document.createElement('div');
  stepSummary.className = 'error-stepSummary';
  stepSummary.id = 'step-errors';
  stepSummary.setAttribute('role', 'alert');
  stepSummary.tabIndex = -1;
  stepSummary.hidden = true;

  // Shows the step's problems, or clears them; true when there are none.
  function stepIsValid(index) {
    var step = steps[index === undefined ? current : index];
    step.querySelectorAll('input, select, textarea').forEach(clearError);
    var problems = problemsIn(step);
    stepSummary.hidden = problems.length === 0;
    stepSummary.textContent = '';
    if (!problems.length) return true;
    var heading = document.createElement('h2');
    heading.textContent = message('heading');
    var list = document.createElement('ul');
    problems.forEach(function (problem) {
      var field = problem[0];
      errorSlot(field).textContent = problem[1];
      field.setAttribute('aria-invalid', 'true');
      var item = document.createElement('li');
      var link = document.createElement('a');
      link.href = '#' + field.id;
      var label = field.closest('fieldset.group');
      label = label ? label.querySelector('legend') : form.querySelector('label[for="' + field.id + '"]');
      link.textContent = (label ? label.firstChild.textContent.trim() + ': ' : '') + problem[1];
      link.addEventListener('click', function (event) { event.preventDefault(); field.focus(); });
      item.appendChild(link);
      list.appendChild(item);
    });
    stepSummary.appendChild(heading);
    stepSummary.appendChild(list);
    step.insertBefore(stepSummary, step.querySelector('legend').nextSibling);
    stepSummary.focus();
    return false;
  }

  form.noValidate = true;
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
    for (var i = 0; i < steps.length; i++) {
      if (problemsIn(steps[i]).length) {
        event.preventDefault();
        show(i);
        stepIsValid(i);
        return;
      }
    }
  });
  // A message goes once its question is answered.
  form.addEventListener('change', function (event) { if (event.target.name) clearError(event.target); });

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
  // Leaflet comes after the first step is ready (issue #15: on a slow phone connection the
  // form waited for the map library it needs only on the second step).
  var pickMap = null;
  var mapBox = document.getElementById('pick-map');
  function startMap() {
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
    mapBox.setAttribute('data-ready', '');
    pickMap.invalidateSize();
  }
  function load(tag, attributes, then) {
    var element = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { element.setAttribute(name, attributes[name]); });
    if (then) element.addEventListener('load', then);
    document.head.appendChild(element);
  }
  if (mapBox) {
    load('link', { rel: 'stylesheet', href: mapBox.getAttribute('data-leaflet-css') });
    load('script', { src: mapBox.getAttribute('data-leaflet-js') }, function () {
      load('script', { src: mapBox.getAttribute('data-touch-map-js') }, startMap);
    });
  }
  show(current);
  // When the first step could be answered, for the page-weight test (issue #15).
  if (window.performance && performance.mark) performance.mark('dauys-ready');
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
