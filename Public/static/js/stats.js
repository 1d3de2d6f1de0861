// Draws a chart above each statistics table, from the table's own numbers. The tables stay:
// they are what screen readers and pages without JavaScript use; the charts are hidden from
// assistive technology as a picture of the same numbers.
(function () {
  if (!window.Chart) return;
  var style = getComputedStyle(document.documentElement);
  var red = style.getPropertyValue('--red').trim();
  var blue = style.getPropertyValue('--blue').trim();
  var accent = style.getPropertyValue('--accent').trim();
  var palette = [accent, red, blue, '#2e7d32', '#b26a00', '#6a1b9a', '#00838f', '#5d4037', '#ad1457', '#455a64', '#827717', '#283593'];

  document.querySelectorAll('canvas.stats-chart').forEach(function (canvas) {
    var table = canvas.parentNode.querySelector('table[data-chart-table]');
    if (!table) return;
    var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr'));
    var labels = rows.map(function (row) { return row.querySelector('th').textContent; });
    var values = rows.map(function (row) { return parseInt(row.getAttribute('data-weight'), 10) || 0; });
    var type = canvas.getAttribute('data-chart');
    var colours = type === 'line' ? accent : values.map(function (_, i) { return palette[i % palette.length]; });
    // Stopped and not stopped keep the map's blue and red.
    var section = canvas.closest('section');
    if (section && section.getAttribute('aria-labelledby') === 'stats-prevented') {
      colours = [blue, red];
    }
    new window.Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: [{ data: values, backgroundColor: colours, borderColor: colours, fill: false }] },
      options: {
        indexAxis: type === 'bar' ? 'y' : 'x',
        animation: false,
        plugins: { legend: { display: type === 'doughnut' }, tooltip: { enabled: true } },
        maintainAspectRatio: type !== 'doughnut'
      }
    });
  });
})();
