/* The report form: point from GPS or a tap, its cell shown; favourite categories as chips;
 * the search over all categories is gridgov.js's data-filter-select. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var map = document.getElementById("report-map");
  var status = document.getElementById("gps-status");
  var lon = form.querySelector("[name=lon]"), lat = form.querySelector("[name=lat]");
  var select = document.getElementById("id_category");

  map.addEventListener("gridgov:point", function (e) {
    lon.value = e.detail.lon.toFixed(7);
    lat.value = e.detail.lat.toFixed(7);
    fetch("/api/v1/cells/?lon=" + lon.value + "&lat=" + lat.value, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (cells) {
        status.textContent = cells.length
          ? status.dataset.found + " " + cells[0].name + " · " + cells[0].community_name
          : status.dataset.outside;
        status.classList.toggle("error", !cells.length);
      });
  });
  map.addEventListener("gridgov:nofix", function () {
    if (!lon.value) { status.textContent = status.dataset.failed; status.classList.add("error"); }
  });

  var chips = document.querySelectorAll("#favourites .chip");
  function markChip() {
    chips.forEach(function (c) { c.classList.toggle("on", c.dataset.code === select.value); });
  }
  chips.forEach(function (chip) {
    chip.addEventListener("click", function () { select.value = chip.dataset.code; markChip(); });
  });
  select.addEventListener("change", markChip);
  markChip();
})();
