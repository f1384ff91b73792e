/* Inventory pages: the dashboard's capacity charts and the detail pages' performance
 * history. Every element carrying data-chart-src="/api/v1/charts/capacity" and
 * data-chart-part="clusters|vcenters|storage" gets an ApexCharts bar chart drawn from
 * that JSON ({categories, series, unit}); data-chart-type="line" with a
 * data-chart-src under /api/v1/perf/ and data-chart-part="cpu|mem|disk|net|space"
 * gets a time line of the metrics that data.charts[part] names ({t, series,
 * metrics}). One fetch per URL per page load. No inline script anywhere (CSP
 * script-src 'self'). */
(function () {
  "use strict";

  var doc = document, root = doc.documentElement, cache = {}, drawn = [];

  function cssVar(name) { return getComputedStyle(root).getPropertyValue(name).trim(); }
  function hex(name) {
    return "#" + cssVar(name).split(/\s+/).map(function (n) {
      return ("0" + (parseInt(n, 10) || 0).toString(16)).slice(-2);
    }).join("");
  }
  function theme() {
    var dark = root.dataset.theme === "dark";
    return { mode: dark ? "dark" : "light", text: cssVar("--muted"), grid: dark ? "#252d3d" : "#e3e8ef",
             palette: [hex("--accent-rgb"), hex("--ok-rgb"), hex("--warn-rgb"), hex("--info-rgb")] };
  }

  function fetchJSON(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
    }
    return cache[url];
  }

  /* ApexCharts puts legend and tooltip labels in with innerHTML: names from vCenter
   * (clusters, datastores, vCenters) go through this first. Axis labels are SVG text
   * and need nothing. */
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function options(part, type) {
    var th = theme(), unit = part.unit || "", stacked = type === "stacked";
    var fmt = function (v) { return (typeof v === "number" ? Math.round(v * 10) / 10 : v) + (unit === "%" ? "%" : unit); };
    var n = (part.categories || []).length;
    return {
      chart: { type: "bar", height: Math.max(180, Math.min(420, 60 + n * 28)), stacked: stacked,
               background: "transparent", foreColor: th.text, toolbar: { show: false }, fontFamily: "inherit",
               animations: { enabled: true, speed: 300 } },
      theme: { mode: th.mode },
      colors: stacked ? [th.palette[0], th.palette[3]] : th.palette,
      series: part.series || [],
      xaxis: { categories: part.categories || [], max: unit === "%" && !stacked ? 100 : undefined,
               labels: { formatter: fmt } },
      plotOptions: { bar: { horizontal: true, borderRadius: 3, barHeight: "70%" } },
      grid: { borderColor: th.grid, strokeDashArray: 3 },
      dataLabels: { enabled: false },
      legend: { position: "bottom", fontSize: "12px", formatter: function (name) { return esc(name); } },
      tooltip: { theme: th.mode, x: { formatter: function (v) { return esc(v); } },
                 y: { formatter: fmt, title: { formatter: function (name) { return esc(name) + ":"; } } } }
    };
  }

  /* Performance lines: x is time, one line per metric of the part. */
  function lineOptions(data, part) {
    var th = theme(), units = {}, labels = {};
    (data.metrics || []).forEach(function (m) { units[m.key] = m.unit; labels[m.key] = m.label; });
    var keys = (data.charts[part] || []).filter(function (k) { return (data.series || {})[k]; });
    var unit = units[keys[0]] || "";
    var fmt = function (v) { return v === null || v === undefined ? "–" : (Math.round(v * 10) / 10) + " " + unit; };
    var series = keys.map(function (k) {
      var vals = data.series[k];
      return { name: labels[k], data: data.t.map(function (t, i) { return [t * 1000, vals[i]]; }) };
    });
    return {
      chart: { type: "line", height: 200, background: "transparent", foreColor: th.text, fontFamily: "inherit",
               toolbar: { show: false }, zoom: { enabled: false }, animations: { enabled: false } },
      theme: { mode: th.mode },
      colors: th.palette,
      series: series,
      stroke: { width: 2, curve: "straight" },
      xaxis: { type: "datetime", labels: { datetimeUTC: false } },
      yaxis: { min: 0, max: unit === "%" ? 100 : undefined, labels: { formatter: fmt } },
      grid: { borderColor: th.grid, strokeDashArray: 3 },
      dataLabels: { enabled: false },
      legend: { position: "bottom", fontSize: "12px", showForSingleSeries: false,
                formatter: function (name) { return esc(name); } },
      tooltip: { theme: th.mode, x: { format: "dd MMM HH:mm" },
                 y: { formatter: fmt, title: { formatter: function (name) { return esc(name) + ":"; } } } }
    };
  }

  function empty(node, text) {
    node.textContent = "";
    var p = doc.createElement("div");
    p.className = "chart-empty";
    p.textContent = text;
    node.appendChild(p);
  }

  function draw(scope) {
    drawn = drawn.filter(function (c) {
      if (doc.body.contains(c.node)) return true;
      c.chart.destroy();
      return false;
    });
    Array.prototype.forEach.call((scope || doc).querySelectorAll("[data-chart-src]"), function (node) {
      if (node.dataset.chartReady) return;
      node.dataset.chartReady = "1";
      fetchJSON(node.getAttribute("data-chart-src")).then(function (data) {
        var name = node.getAttribute("data-chart-part"), type = node.getAttribute("data-chart-type");
        var line = type === "line", part = line ? (data.charts || {})[name] : data[name];
        if (!part || !(line ? (part.length && data.t || []) : (part.categories || [])).length) return empty(node, "No data yet.");
        if (!window.ApexCharts) return empty(node, "Charts need JavaScript from /static.");
        var chart = new window.ApexCharts(node, line ? lineOptions(data, name) : options(part, type));
        chart.render();
        drawn.push({ node: node, chart: chart });
      }).catch(function () { empty(node, "The figures could not be loaded."); });
    });
  }

  /* Theme switches restyle the charts (app.js flips data-theme on <html>). */
  new MutationObserver(function () {
    var th = theme();
    drawn.forEach(function (c) {
      c.chart.updateOptions({ theme: { mode: th.mode }, chart: { foreColor: th.text },
                              grid: { borderColor: th.grid }, tooltip: { theme: th.mode } }, false, false);
    });
  }).observe(root, { attributes: true, attributeFilter: ["data-theme", "data-accent"] });

  function init() {
    draw(doc);
    doc.body.addEventListener("htmx:afterSettle", function (ev) { draw(ev.target); });
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
