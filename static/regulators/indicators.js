// 监管指标 charts: the 12-month trend of 申诉率 / 有效申诉率 and the appeals per problem type.
// Data comes from the page (json_script), ECharts from static/vendor (never a CDN).
(function () {
  "use strict";
  const source = document.getElementById("indicator-chart-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const L = data.labels;
  const charts = [];

  function draw(id, option) {
    const el = document.getElementById(id);
    const c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(Object.assign({ animation: false }, option));
    el.dataset.drawn = "1";
    charts.push(c);
  }

  draw("chart-rate-trend", {
    tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : v) },
    legend: { data: [L.appealRate, L.effectiveRate], top: 0 },
    grid: { left: 44, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", name: "件/百万件" },
    series: [
      { name: L.appealRate, type: "line", connectNulls: false, data: data.appealRate },
      { name: L.effectiveRate, type: "line", connectNulls: false, data: data.effectiveRate },
    ],
  });

  draw("chart-types", {
    tooltip: { trigger: "axis" },
    legend: { data: [L.appeals, L.effective], top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 40 },
    xAxis: { type: "category", data: data.types, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: L.appeals, type: "bar", data: data.typeAppeals },
      { name: L.effective, type: "bar", data: data.typeEffective, itemStyle: { color: "#dc3545" } },
    ],
  });

  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
