/* The dashboard's 吹哨报到 table: each department's summonses, check-ins, 报到率 and average
 * arrival time for the period, from /api/v1/indicators/?level=department (the same figures
 * the API and exports give); the counts drill down to the cases of the summonses counted. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var table = document.getElementById("arrivals");
  if (!root || !table) return;
  var form = document.getElementById("period");
  var NONE = "\u2014";
  function cell(text, href) {
    var td = document.createElement("td");
    if (href) { var a = document.createElement("a"); a.href = href; a.textContent = text; td.appendChild(a); }
    else td.textContent = text;
    return td;
  }
  function load() {
    var p = new URLSearchParams(new FormData(form));
    p.set("level", "department");
    fetch(root.dataset.indicatorsUrl + "?" + p, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) {
        var rows = data.results.filter(function (r) { return r.counts.summoned; });
        var body = table.querySelector("tbody");
        body.replaceChildren.apply(body, rows.map(function (r) {
          var tr = document.createElement("tr");
          tr.dataset.testid = "arrival-row";
          var rate = r.indicators.check_in_rate, f = r.fractions.check_in_rate;
          var shown = (rate === null ? NONE : (rate * 100).toFixed(1) + "%") + " (" + f[0] + "/" + f[1] + ")";
          var avg = r.indicators.avg_arrival_minutes;
          [cell(r.name), cell(String(r.counts.summoned), r.links.page + "&figure=summoned"),
           cell(String(r.counts.checked_in)),
           cell(shown, r.links.page + "&figure=checked_in_on_time"),
           cell(avg === null ? NONE : String(avg))].forEach(function (td) { tr.appendChild(td); });
          return tr;
        }));
      })
      .catch(function () {  // offline or refused: say so instead of an empty table
        var td = cell(table.dataset.error);
        td.colSpan = 5;
        var tr = document.createElement("tr");
        tr.appendChild(td);
        table.querySelector("tbody").replaceChildren(tr);
      });
  }
  form.addEventListener("submit", function () { setTimeout(load, 0); });
  load();
})();
