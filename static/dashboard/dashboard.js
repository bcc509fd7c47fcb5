// Dashboard charts: each one fetches its JSON endpoint with the page's filters and draws with
// ECharts (served from static/vendor, never a CDN). Rendered as canvas.
(function () {
  "use strict";
  const root = document.getElementById("charts");
  if (!root || !window.echarts) return;
  const query = root.dataset.query ? "?" + root.dataset.query : "";
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
  const charts = [];

  function chart(id) {
    const c = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    charts.push(c);
    return c;
  }

  async function load(url) {
    const resp = await fetch(url + query, { headers: { Accept: "application/json" } });
    if (!resp.ok) throw new Error(resp.status);
    return resp.json();
  }

  function drawn(id) {
    document.getElementById(id).dataset.drawn = "1";
  }

  load(root.dataset.trend).then((data) => {
    const c = chart("chart-trend");
    c.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: ["受理", "闭环", "超时"], top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.trend.map((r) => (r.day.length === 10 ? r.day.slice(5) : r.day)) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "受理", type: "line", smooth: true, data: data.trend.map((r) => r.received) },
        { name: "闭环", type: "line", smooth: true, data: data.trend.map((r) => r.closed) },
        { name: "超时", type: "bar", data: data.trend.map((r) => r.breaches), itemStyle: { color: "#dc3545" } },
      ],
    });
    drawn("chart-trend");
  });

  load(root.dataset.categories).then((data) => {
    const c = chart("chart-categories");
    c.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      series: [{
        type: "pie", radius: ["35%", "70%"],
        data: data.categories.map((r) => ({ name: r.label, value: r.received })),
      }],
    });
    drawn("chart-categories");
  });

  load(root.dataset.ranking).then((data) => {
    const rows = data.ranking.slice(0, 15).reverse();
    const c = chart("chart-ranking");
    // Sorted by the assessment ledger (issue 22): the bars are the units' fines and points.
    if (data.sort === "assessment") {
      c.setOption({
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { data: ["考核扣款（元）", "扣分"], top: 0 },
        grid: { left: 110, right: 24, top: 36, bottom: 24 },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: rows.map((r) => r.unit) },
        series: [
          { name: "考核扣款（元）", type: "bar", data: rows.map((r) => Number(r.assessment_amount)) },
          { name: "扣分", type: "bar", data: rows.map((r) => Number(r.assessment_points)) },
        ],
      });
      drawn("chart-ranking");
      return;
    }
    c.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null ? "—" : v + "%") },
      legend: { data: ["处理及时率", "有理由投诉率"], top: 0 },
      grid: { left: 110, right: 24, top: 36, bottom: 24 },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: rows.map((r) => r.unit) },
      series: [
        { name: "处理及时率", type: "bar", data: rows.map((r) => pct(r.res_rate)) },
        { name: "有理由投诉率", type: "bar", data: rows.map((r) => pct(r.justified_rate)) },
      ],
    });
    c.on("click", (p) => {
      const row = rows[p.dataIndex];
      if (!row || !row.drill) return;
      const params = new URLSearchParams(root.dataset.query);
      params.set("unit", row.drill);
      window.location.search = params.toString();
    });
    drawn("chart-ranking");
  });

  load(root.dataset.heatmap).then((data) => {
    const days = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    const c = chart("chart-heatmap");
    c.setOption({
      animation: false,
      tooltip: { formatter: (p) => `${days[p.value[1]]} ${p.value[0]}时：${p.value[2]}件` },
      grid: { left: 48, right: 16, top: 44, bottom: 28 },
      xAxis: { type: "category", data: [...Array(24).keys()].map((h) => h + "时"), splitArea: { show: true } },
      yAxis: { type: "category", data: days, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, data.max), calculable: true, orient: "horizontal", right: 0, top: 0, itemHeight: 120, itemWidth: 12 },
      series: [{ type: "heatmap", data: data.heatmap }],
    });
    drawn("chart-heatmap");
  });

  // Period controls: show the month / date inputs only for the kinds that use them.
  const period = document.getElementById("f-period");
  function toggle() {
    document.querySelectorAll("[data-when]").forEach((el) => {
      const on = el.dataset.when === period.value;
      el.hidden = !on;
      el.querySelectorAll("input").forEach((i) => (i.disabled = !on));
    });
  }
  if (period) { period.addEventListener("change", toggle); toggle(); }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
