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
  var NONE = "\u2014";  // "—": no rate (nothing to divide, or fewer than 5 cases)
  function pct(v) { return v === null || v === undefined ? NONE : (v * 100).toFixed(1) + "%"; }
  function num(v) { return v === null || v === undefined ? NONE : String(v); }
  function rated(v, n) { return pct(v) + " (" + (n || 0) + ")"; }
  // The figure whose cases a tile or a ranking cell lists: a rate lists its denominator.
  var DRILL = { filed: "filed", self_resolved: "self_resolved", closing_rate: "due",
    on_time_rate: "due", rework_rate: "closed", satisfaction_rate: "rated", missed_rate: "patrol_filed",
    avg_handling_hours: "closed", backlog: "backlog", overdue_open: "overdue_open" };
  function drill(row, key) {
    return row && DRILL[key] ? row.links.page + "&figure=" + DRILL[key] : null;
  }
  // "numerator / denominator" of a rate, for its hover.
  function fraction(fractions, key) {
    var f = fractions && fractions[key];
    return f ? f[0] + " / " + f[1] : "";
  }
  function label(key) {
    var el = root.querySelector('[data-kpi="' + key + '"] .kpi-label');
    return el ? el.textContent : key;
  }
  function gradeBadge(g) {
    var span = document.createElement("span");
    span.className = "grade grade-" + (g || "none");
    span.textContent = g || NONE;
    return span;
  }
  // An invalid period (or any refusal) clears every figure, so nothing stale is read as the
  // answer, and says why.
  function showError(body) {
    var errors = [];
    Object.keys(body || {}).forEach(function (k) { errors.push([].concat(body[k]).join(" ")); });
    document.getElementById("period-error").textContent = errors.join(" ");
    root.querySelectorAll("[data-kpi]").forEach(function (el) {
      el.querySelector("strong").textContent = NONE;
      el.removeAttribute("href");
      el.removeAttribute("title");
    });
    document.getElementById("top-grade").replaceChildren(gradeBadge(null));
    document.querySelector("#ranking tbody").replaceChildren();
    if (trendChart) trendChart.clear();
    cellRows = {};
    paintCells();
  }

  // --- KPIs -------------------------------------------------------------------------------
  function loadKpis() {
    return getJSON(root.dataset.indicatorsUrl + "?" + params({ level: topLevel })).then(function (data) {
      var counts = {}, fractions = {}, indicators = {}, row = data.results.length === 1 ? data.results[0] : null;
      data.results.forEach(function (r) {
        Object.keys(r.counts).forEach(function (k) { counts[k] = (counts[k] || 0) + r.counts[k]; });
        Object.keys(r.fractions).forEach(function (k) {
          var f = fractions[k] || [0, 0];
          fractions[k] = [f[0] + r.fractions[k][0], f[1] + r.fractions[k][1]];
        });
      });
      if (row) indicators = row.indicators;
      root.querySelectorAll("[data-kpi]").forEach(function (el) {
        var key = el.dataset.kpi, value, href = drill(row, key);
        if (key in COUNT_OF) value = rated(indicators[key], counts[COUNT_OF[key]]);
        else if (key === "avg_handling_hours") value = num(indicators[key] && indicators[key].toFixed(1));
        else if (key in fractions) value = pct(indicators[key]);
        else value = num(counts[key]);
        el.querySelector("strong").textContent = value;
        if (key in fractions) el.title = fraction(fractions, key);
        if (href) el.href = href; else el.removeAttribute("href");
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
              return f.properties.name + (r ? " · " + (r.grade || NONE) + " · " + r.counts.backlog : "");
            });
            layer.on("click", function () { var r = cellRows[f.properties.id]; if (r) window.location = drill(r, "filed"); });
            layer.on("add", function () { layer.getElement().setAttribute("data-cell", f.properties.id); });
          },
        }).addTo(map);
        if (cells.length) map.fitBounds(cellLayer.getBounds());
      });
    }
    // view=map: each cell's grade, backlog and satisfaction, and one drill-down link for all.
    return Promise.all([cellsPromise, getJSON(root.dataset.indicatorsUrl + "?" + params({ level: "cell", view: "map" }))]).then(function (res) {
      var links = res[1].links;
      cellRows = {};
      res[1].results.forEach(function (r) {
        r.links = { page: links.page_head + r.id + links.page_tail };
        cellRows[r.id] = r;
      });
      paintCells();
    });
  }
  document.getElementById("map-colour").addEventListener("change", paintCells);

  // --- rankings ---------------------------------------------------------------------------
  var level = (root.querySelector("#levels [data-level].on") || {}).dataset.level;
  function cell(content, href, title) {
    var td = document.createElement("td");
    if (href) { var a = document.createElement("a"); a.href = href; a.textContent = content; td.appendChild(a); }
    else if (content instanceof Node) td.appendChild(content);
    else td.textContent = content;
    if (title) td.title = title;
    return td;
  }
  function rate(r, key, text) {
    return cell(text || pct(r.indicators[key]), drill(r, key), fraction(r.fractions, key));
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
        [cell(gradeBadge(r.grade)), cell(r.name, drill(r, "filed")), cell(num(r.score)),
         cell(num(r.counts.filed), drill(r, "filed")), cell(num(r.counts.self_resolved), drill(r, "self_resolved")),
         rate(r, "closing_rate"), rate(r, "on_time_rate"), rate(r, "rework_rate"),
         rate(r, "satisfaction_rate", rated(r.indicators.satisfaction_rate, r.counts.rated)),
         cell(rated(r.indicators.survey_rate, r.counts.survey_answers)), rate(r, "missed_rate"),
         cell(num(r.counts.backlog), drill(r, "backlog")),
         cell(num(r.counts.overdue_open), drill(r, "overdue_open"))].forEach(function (td) { tr.appendChild(td); });
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
