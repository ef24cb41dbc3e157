/*
 * Draw the board's charts with the vendored plotly.js basic bundle.
 *
 * Each chart arrives as the server-built plotly figure in
 *   <script type="application/json" class="app-chart-data" id="X-data">
 * (Django's json_script) beside an empty, hidden <div class="app-chart__plot" id="X">.
 * This script shows the container and draws the figure into it. Without
 * JavaScript the container stays hidden and the data table next to it says
 * the same. No inline script and no eval, so a script-src 'self' CSP holds.
 *
 * Load with defer, after plotly:
 *   <script src=".../plotly-basic-<version>.min.js" defer></script>
 *   <script src=".../js/charts.js" defer></script>
 */
(function () {
  "use strict";

  var Plotly = window.Plotly;
  if (!Plotly) {
    return;
  }
  var CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };
  // A4 portrait, less the page margins print.css sets, in CSS pixels.
  var PRINT_WIDTH = 680;
  var drawn = [];

  document.querySelectorAll("script.app-chart-data[type='application/json']").forEach(function (data) {
    var container = document.getElementById(data.id.replace(/-data$/, ""));
    if (!container) {
      return;
    }
    var figure;
    try {
      figure = JSON.parse(data.textContent);
    } catch (error) {
      return;
    }
    container.hidden = false;
    Plotly.newPlot(container, figure.data, figure.layout, CONFIG);
    drawn.push({ plot: container, height: figure.layout.height });
  });

  // Paper is narrower than most screens: draw at the page's width to print,
  // and back to the window's width afterwards.
  window.addEventListener("beforeprint", function () {
    drawn.forEach(function (chart) {
      Plotly.relayout(chart.plot, { width: PRINT_WIDTH });
    });
  });
  window.addEventListener("afterprint", function () {
    drawn.forEach(function (chart) {
      // Back to the container's width, at the height the server chose.
      Plotly.relayout(chart.plot, { width: null, height: chart.height, autosize: true });
    });
  });
})();
