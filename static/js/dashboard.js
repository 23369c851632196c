/* The assessment dashboard: KPIs, trend (ECharts), a cell map coloured by grade, backlog or
 * satisfaction (Leaflet over the cell polygons), rankings with drill-down and exports.
 * Every number comes from /api/v1/indicators/ — the same figures the API and exports give. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) return;
  var form = document.getElementById("period");
  var topLevel = root.dataset.topLevel;
  var RATES = ["closing_rate", "on_time_rate", "rework_rate", "satisfaction_rate", "survey_rate"];
  // Rates made of residents' answers show how many there were: "—" under five is not "no
  // problem", it is "too few to say".
  var COUNT_OF = { satisfaction_rate: "rated", survey_rate: "survey_answers" };
  var GRADE_COLOURS = { A: "#217a3c", B: "#5b9a2f", C: "#c9a000", D: "#d9731a", E: "#b4232a" };

  function params(extra) {
    var p = new URLSearchParams(new FormData(form));
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p;
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw body;
          return body;
        });
      });
  }
  function pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; }
  function num(v) { return v === null || v === undefined ? "–" : String(v); }
  function rated(v, n) { return pct(v) + " (" + (n || 0) + ")"; }
  function label(key) {
    var el = root.querySelector('[data-kpi="' + key + '"] .kpi-label');
    return el ? el.textContent : key;
  }
  function gradeBadge(g) {
    var span = document.createElement("span");
    span.className = "grade grade-" + (g || "none");
    span.textContent = g || "–";
    return span;
  }
  function showError(body) {
    var errors = [];
    Object.keys(body || {}).forEach(function (k) { errors.push([].concat(body[k]).join(" ")); });
    document.getElementById("period-error").textContent = errors.join(" ");
  }

  // --- KPIs -------------------------------------------------------------------------------
  function loadKpis() {
    return getJSON(root.dataset.indicatorsUrl + "?" + params({ level: topLevel })).then(function (data) {
      var counts = {}, indicators = {}, row = data.results[0] || null;
      data.results.forEach(function (r) {
        Object.keys(r.counts).forEach(function (k) { counts[k] = (counts[k] || 0) + r.counts[k]; });
      });
      if (row && data.results.length === 1) indicators = row.indicators;
      root.querySelectorAll("[data-kpi]").forEach(function (el) {
        var key = el.dataset.kpi, value;
        if (key in COUNT_OF) value = rated(indicators[key], counts[COUNT_OF[key]]);
        else if (key in indicators) value = key === "avg_handling_hours" ? num(indicators[key] && indicators[key].toFixed(1)) : pct(indicators[key]);
        else value = num(counts[key]);
        el.querySelector("strong").textContent = value;
        if (row) el.href = key === "overdue_open" || key === "backlog" ? row.links.overdue_page : row.links.cases_page;
      });
      document.getElementById("top-grade").replaceChildren(gradeBadge(row && row.grade));
    });
  }

  // --- trend ------------------------------------------------------------------------------
  var trendChart = null;
  function loadTrend() {
    var start = new Date(form.start.value), end = new Date(form.end.value);
    var bucket = (end - start) / 86400000 > 62 ? "month" : "day";
    return getJSON(root.dataset.trendUrl + "?" + params({ bucket: bucket })).then(function (data) {
      if (!window.echarts) return;
      trendChart = trendChart || echarts.init(document.getElementById("trend"), null, { locale: root.dataset.lang === "en" ? "EN" : "ZH" });
      var periods = data.results.map(function (r) { return r.period; });
      trendChart.setOption({
        // Drawn on the canvas: the HTML tooltip writes style attributes the CSP refuses.
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { type: "scroll", top: 0 },
        grid: { left: 40, right: 40, top: 40, bottom: 30 },
        xAxis: { type: "category", data: periods },
        yAxis: [{ type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }, { type: "value", minInterval: 1 }],
        series: [{ name: label("filed"), type: "bar", yAxisIndex: 1, data: data.results.map(function (r) { return r.counts.filed; }), itemStyle: { color: "#c9d6ea" } }]
          .concat(RATES.map(function (key) {
            return { name: label(key), type: "line", smooth: true, connectNulls: true,
              data: data.results.map(function (r) { var v = r.indicators[key]; return v === null ? null : +(v * 100).toFixed(1); }) };
          })),
      }, true);
    });
  }

  // --- cell map ---------------------------------------------------------------------------
  var map = null, cellLayer = null, cellRows = {}, cellsPromise = null;
  function colourOf(row, by, max) {
    if (!row) return "#cccccc";
    if (by === "grade") return GRADE_COLOURS[row.grade] || "#cccccc";
    var v = by === "backlog" ? row.counts.backlog : row.indicators.satisfaction_rate;
    if (v === null || v === undefined) return "#cccccc";
    var t = by === "backlog" ? (max ? v / max : 0) : 1 - v;  // red = much backlog / unhappy
    return "hsl(" + Math.round(120 - 120 * Math.min(1, t)) + ",65%,45%)";
  }
  function paintCells() {
    if (!cellLayer) return;
    var by = document.getElementById("map-colour").value;
    var max = 0;
    Object.keys(cellRows).forEach(function (k) { max = Math.max(max, cellRows[k].counts.backlog || 0); });
    cellLayer.setStyle(function (feature) {
      return { color: "#555", weight: 0.5, fillOpacity: 0.7, fillColor: colourOf(cellRows[feature.properties.id], by, max) };
    });
  }
  function loadMap() {
    if (!window.L) return Promise.resolve();
    if (!map) {
      map = L.map("cell-choropleth", { attributionControl: false, zoomSnap: 0.25 }).setView([39.9, 116.4], 12);
      if (window.gridgovBaseMap) window.gridgovBaseMap(map);
      cellsPromise = getJSON(root.dataset.cellsUrl).then(function (cells) {
        cellLayer = L.geoJSON(cells.map(function (c) {
          return { type: "Feature", geometry: c.geometry, properties: { id: c.id, name: c.name } };
        }), {
          onEachFeature: function (f, layer) {
            layer.bindTooltip(function () {
              var r = cellRows[f.properties.id];
              return f.properties.name + (r ? " · " + (r.grade || "–") + " · " + r.counts.backlog : "");
            });
            layer.on("click", function () { var r = cellRows[f.properties.id]; if (r) window.location = r.links.cases_page; });
          },
        }).addTo(map);
        if (cells.length) map.fitBounds(cellLayer.getBounds());
      });
    }
    return Promise.all([cellsPromise, getJSON(root.dataset.indicatorsUrl + "?" + params({ level: "cell" }))]).then(function (res) {
      cellRows = {};
      res[1].results.forEach(function (r) { cellRows[r.id] = r; });
      paintCells();
    });
  }
  document.getElementById("map-colour").addEventListener("change", paintCells);

  // --- rankings ---------------------------------------------------------------------------
  var level = (root.querySelector("#levels [data-level].on") || {}).dataset.level;
  function cell(content, href) {
    var td = document.createElement("td");
    if (href) { var a = document.createElement("a"); a.href = href; a.textContent = content; td.appendChild(a); }
    else if (content instanceof Node) td.appendChild(content);
    else td.textContent = content;
    return td;
  }
  function loadRanking() {
    document.getElementById("export-csv").href = root.dataset.exportUrl + "?" + params({ level: level, as: "csv" });
    document.getElementById("export-xlsx").href = root.dataset.exportUrl + "?" + params({ level: level, as: "xlsx" });
    return getJSON(root.dataset.indicatorsUrl + "?" + params({ level: level })).then(function (data) {
      var rows = data.results.slice().sort(function (a, b) {
        return (b.score === null ? -1 : b.score) - (a.score === null ? -1 : a.score);
      });
      var body = document.querySelector("#ranking tbody");
      body.replaceChildren.apply(body, rows.map(function (r) {
        var tr = document.createElement("tr");
        tr.dataset.testid = "ranking-row";
        [cell(gradeBadge(r.grade)), cell(r.name, r.links.cases_page), cell(num(r.score)),
         cell(num(r.counts.filed), r.links.cases_page), cell(pct(r.indicators.closing_rate)),
         cell(pct(r.indicators.on_time_rate)), cell(pct(r.indicators.rework_rate)),
         cell(rated(r.indicators.satisfaction_rate, r.counts.rated)),
         cell(rated(r.indicators.survey_rate, r.counts.survey_answers)), cell(num(r.counts.backlog), r.links.overdue_page),
         cell(num(r.counts.overdue_open), r.links.overdue_page)].forEach(function (td) { tr.appendChild(td); });
        return tr;
      }));
    });
  }
  document.getElementById("levels").addEventListener("click", function (e) {
    var a = e.target.closest("[data-level]");
    if (!a) return;
    e.preventDefault();
    root.querySelectorAll("#levels [data-level]").forEach(function (x) { x.classList.toggle("on", x === a); });
    level = a.dataset.level;
    loadRanking().catch(showError);
  });

  function loadAll() {
    document.getElementById("period-error").textContent = "";
    Promise.all([loadKpis(), loadTrend(), loadMap(), loadRanking()]).catch(showError);
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); loadAll(); });
  window.addEventListener("resize", function () { if (trendChart) trendChart.resize(); });
  loadAll();
})();
