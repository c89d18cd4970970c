/* The governance dashboard's charts, drawn with Chart.js from the tables that follow them: the table
 * stays the accessible (and JavaScript-free) form of the same figures, the chart is an image of it.
 *
 * <div data-hhs-chart="line|bar" data-chart-table="TABLE_ID" data-chart-series="1,2"
 *      [data-chart-stacked="true"] [data-chart-max="100"]></div>
 * Labels come from each row's first cell, series from the named columns (a cell's data-value, or its
 * text); each series is named by its column heading. */
(function () {
  'use strict';
  // USWDS palette: primary blue, gold, green, red, violet
  var COLOURS = ['#005ea2', '#e5a000', '#00a91c', '#d83933', '#8168b3'];

  function cellNumber(cell) {
    var raw = cell.hasAttribute('data-value') ? cell.getAttribute('data-value') : cell.textContent;
    var value = parseFloat(String(raw).replace(/[^0-9.\-]/g, ''));
    return isNaN(value) ? null : value;
  }

  function draw(holder) {
    var table = document.getElementById(holder.getAttribute('data-chart-table'));
    if (!table || typeof window.Chart === 'undefined') { return; }
    var headings = table.querySelectorAll('thead th');
    // rows marked data-chart-skip stay in the table but not in the chart (a division with no datasets)
    var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr:not([data-chart-skip])'));
    if (!rows.length) { return; }
    var columns = holder.getAttribute('data-chart-series').split(',').map(Number);
    var stacked = holder.getAttribute('data-chart-stacked') === 'true';
    var kind = holder.getAttribute('data-hhs-chart');
    var max = holder.getAttribute('data-chart-max');
    var caption = holder.closest('figure').querySelector('figcaption');

    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', (caption ? caption.textContent.trim() + '. ' : '') +
      'Chart; the table below holds the same figures.');
    holder.appendChild(canvas);

    new window.Chart(canvas, {
      type: kind,
      data: {
        labels: rows.map(function (row) { return row.cells[0].textContent.trim(); }),
        datasets: columns.map(function (column, n) {
          return {
            label: headings[column].textContent.trim(),
            data: rows.map(function (row) { return cellNumber(row.cells[column]); }),
            backgroundColor: COLOURS[n % COLOURS.length],
            borderColor: COLOURS[n % COLOURS.length],
            tension: 0.2
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, max: max ? Number(max) : undefined }
        }
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-hhs-chart]'), draw);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
