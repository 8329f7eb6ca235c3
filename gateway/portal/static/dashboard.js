// The dashboard's charts, drawn with the vendored ECharts from each section's data table: the chart
// is never told a number its table does not show. Without this script the tables stand alone.
(function () {
  "use strict";
  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';
  var BAR = "#1d70b8";
  var INK = "#1b1b1b";

  function rowsOf(table) {
    return Array.prototype.map.call(table.querySelectorAll("tbody tr[data-figure]"), function (tr) {
      return {
        key: tr.getAttribute("data-figure"),
        kind: tr.getAttribute("data-kind"),
        number: tr.getAttribute("data-number"),
        title: tr.querySelector("th").textContent,
        text: tr.querySelector("td").textContent
      };
    });
  }

  // One small bar chart per figure, each on its own axis: counts, yuan and rates share no scale.
  function optionFor(rows, size) {
    var rowHeight = Math.round(size * 3.5);
    var option = {
      animation: false, aria: { enabled: false }, textStyle: { fontFamily: FONT, color: INK },
      grid: [], xAxis: [], yAxis: [], series: []
    };
    rows.forEach(function (row, index) {
      var drawn = row.number !== "";
      option.grid.push({ left: size * 14, right: size * 13, top: index * rowHeight + size * 0.5,
                         height: rowHeight - size * 1.5 });
      option.xAxis.push({
        gridIndex: index, type: "value", show: drawn, min: 0,
        // A rate's axis is always 0 to 100 %; the others take ECharts' own round scale.
        max: row.kind === "rate" ? 100 : null,
        minInterval: row.kind === "count" ? 1 : 0, splitNumber: 3,
        axisLabel: { fontSize: size * 0.75, color: INK, formatter: row.kind === "rate" ? "{value}%" :
          (row.kind === "money" ? "¥{value}" : "{value}") }
      });
      option.yAxis.push({
        gridIndex: index, type: "category", data: [row.title],
        axisLabel: { fontSize: size * 0.8125, color: INK, width: size * 13, overflow: "truncate" }
      });
      option.series.push({
        type: "bar", xAxisIndex: index, yAxisIndex: index, barMaxWidth: size * 1.25,
        itemStyle: { color: BAR }, data: [{ value: drawn ? Number(row.number) : 0, figure: row.key }],
        label: { show: true, position: drawn ? "right" : "insideLeft", fontSize: size * 0.8125,
                 color: INK, formatter: function () { return row.text; } }
      });
    });
    return { option: option, height: rows.length * rowHeight + size };
  }

  function draw() {
    if (!window.echarts) { return; }
    var size = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || 16;
    document.querySelectorAll("[data-chart-for]").forEach(function (box) {
      var table = document.getElementById(box.getAttribute("data-chart-for"));
      if (!table) { return; }
      var made = optionFor(rowsOf(table), size);
      box.hidden = false;
      box.style.height = made.height + "px";   // the CSSOM, which the page's CSP allows
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(made.option);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
