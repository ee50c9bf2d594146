// Stockroom's dashboard script: charts from data attributes (no inline script, so the
// strict Content-Security-Policy holds), redrawn after htmx swaps. Pages work without it.
(function () {
  "use strict";
  var charts = new Map();
  function draw(root) {
    if (typeof Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var old = charts.get(canvas.id);
      if (old) { old.destroy(); }
      var labels = (canvas.dataset.labels || "").split(",").filter(function (x) { return x !== ""; });
      var values = (canvas.dataset.values || "").split(",").filter(function (x) { return x !== ""; }).map(Number);
      var line = canvas.dataset.chart === "line";
      charts.set(canvas.id, new Chart(canvas, {
        type: line ? "line" : "bar",
        data: { labels: labels, datasets: [{ label: canvas.dataset.series || "", data: values,
          backgroundColor: line ? "rgba(0,105,217,0.15)" : "#0069D9", borderColor: "#0069D9",
          stepped: line ? "after" : false, fill: line, pointRadius: 0 }] },
        options: { animation: false, responsive: true, maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { x: { ticks: { maxTicksLimit: 8, color: "#343A40" } }, y: { beginAtZero: !line, ticks: { color: "#343A40" } } } }
      }));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
