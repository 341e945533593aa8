/* The supervisors' dashboard: draws the charts from the JSON in #dashboard-charts
   (data-charts) with Chart.js (ivr/static/vendor/chartjs). No inline script (CSP). */
(function () {
  "use strict";
  var holder = document.getElementById("dashboard-charts");
  if (!holder || typeof Chart === "undefined") { return; }
  var data = JSON.parse(holder.getAttribute("data-charts"));
  var palette = ["#1f5fa8", "#a3262a", "#2e7d4f", "#c77c02", "#6b4fa3", "#5a6472"];

  function datasets(groups, keys, type) {
    return keys.map(function (key, i) {
      return { label: groups[key].label, data: groups[key].data, type: type,
               backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length] };
    });
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new Chart(canvas, config); }
  }

  draw("chart-volumes", {
    type: "line",
    data: { labels: data.buckets,
            datasets: datasets(data.volumes, ["calls", "reports", "calls_without_report", "urgent"], "line") },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } }
  });
  draw("chart-categories", {
    type: "bar",
    data: { labels: data.buckets,
            datasets: datasets(data.categories, Object.keys(data.categories), "bar") },
    options: { animation: false, responsive: true,
               scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
  });
  draw("chart-funnel", {
    type: "bar",
    data: { labels: data.funnel.steps,
            datasets: [
              { label: data.funnel.labels[0], data: data.funnel.current, backgroundColor: palette[0] },
              { label: data.funnel.labels[1], data: data.funnel.previous, backgroundColor: "#c6cdd8" }
            ] },
    options: { animation: false, responsive: true, indexAxis: "y", scales: { x: { beginAtZero: true } } }
  });
}());
