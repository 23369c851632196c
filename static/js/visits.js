/* Visits on the worker's task list (residents.views): quick phrases fill the note, the
 * phone's GPS fix (and its time) goes with each "visited" request, and the undo button leaves
 * when its five minutes are up (the server refuses after that anyway, 409).
 */
(function () {
  "use strict";
  var fix = null;
  function states(text) {
    document.querySelectorAll(".visit-form .gps-state").forEach(function (s) { s.textContent = text; });
  }
  if (document.querySelector(".visit-form") && navigator.geolocation) {
    var watch = navigator.geolocation.watchPosition(function (pos) {
      if (fix && pos.coords.accuracy > fix.accuracy && Date.now() - fix.time < 60000) return;
      fix = {
        lon: pos.coords.longitude, lat: pos.coords.latitude,
        accuracy: Math.round(pos.coords.accuracy), time: pos.timestamp || Date.now()
      };
      states("GPS ±" + fix.accuracy + " m");
    }, function () { states(""); }, { enableHighAccuracy: true, maximumAge: 60000, timeout: 30000 });
    setTimeout(function () { navigator.geolocation.clearWatch(watch); }, 10 * 60000);
  }
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (!fix || !e.detail.elt.closest(".visit-form")) return;
    e.detail.parameters.lon = fix.lon;
    e.detail.parameters.lat = fix.lat;
    e.detail.parameters.accuracy = fix.accuracy;
    e.detail.parameters.fixed_at = new Date(fix.time).toISOString();
  });
  document.body.addEventListener("click", function (e) {
    var chip = e.target.closest(".quick-phrase");
    if (!chip) return;
    var note = chip.closest("form").querySelector("textarea[name=note]");
    note.value = note.value ? note.value + "；" + chip.textContent : chip.textContent;
  });
  function expireUndos() {
    document.querySelectorAll("form.undo[data-undo-until]").forEach(function (f) {
      var left = Number(f.dataset.undoUntil) * 1000 - Date.now();
      if (left <= 0) f.remove();
      else setTimeout(function () { f.remove(); }, left);
      f.removeAttribute("data-undo-until");
    });
  }
  document.body.addEventListener("htmx:afterSwap", expireUndos);
})();
