// Charts of the analytics page, drawn with the vendored Chart.js from the
// page's JSON (<script type="application/json" id="analytics-data">).
"use strict";
(function () {
  const source = document.getElementById("analytics-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);

  const BLUE = "#1f4e79";
  const GREEN = "#2e7d32";
  const ORANGE = "#e07b00";
  const RATING_COLOURS = ["#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32"];

  Chart.defaults.font.family =
    'system-ui, "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif';
  Chart.defaults.color = "#444";
  Chart.defaults.animation = false; // figures, not a show: draw at once
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.datasets.bar.maxBarThickness = 36;

  const countAxis = { beginAtZero: true, ticks: { precision: 0 } };

  function draw(name, config) {
    const canvas = document.querySelector(`canvas[data-chart="${name}"]`);
    if (!canvas) return;
    const chart = new Chart(canvas, config);
    canvas.dataset.drawn = String(chart.data.labels.length);
  }

  const days = data.days;
  const dayDatasets = [
    { label: "自助解决", data: days.contained, backgroundColor: GREEN },
    { label: "转人工", data: days.handoffs, backgroundColor: ORANGE },
  ];
  draw("days", {
    type: "bar",
    data: { labels: days.labels, datasets: dayDatasets },
    options: {
      scales: {
        x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
        y: { ...countAxis, stacked: true, title: { display: true, text: "会话数" } },
      },
      plugins: { legend: { position: "top" }, tooltip: { mode: "index" } },
    },
  });

  draw("intents", {
    type: "bar",
    data: {
      labels: data.intents.labels,
      datasets: [{ label: "消息数", data: data.intents.values, backgroundColor: BLUE }],
    },
    options: {
      indexAxis: "y",
      scales: { x: countAxis },
      plugins: { legend: { display: false } },
    },
  });

  draw("reasons", {
    type: "bar",
    data: {
      labels: data.reasons.labels,
      datasets: [{ label: "次数", data: data.reasons.values, backgroundColor: ORANGE }],
    },
    options: {
      indexAxis: "y",
      scales: { x: countAxis },
      plugins: { legend: { display: false } },
    },
  });

  draw("ratings", {
    type: "bar",
    data: {
      labels: data.ratings.labels,
      datasets: [
        { label: "评价数", data: data.ratings.values, backgroundColor: RATING_COLOURS },
      ],
    },
    options: { scales: { y: countAxis }, plugins: { legend: { display: false } } },
  });
})();
