/* Visits on the worker's task list (residents.views): quick phrases fill the note, the
 * phone's GPS fix (and its time) goes with each "visited" request, and the undo button leaves
 * when its five minutes are up (the server refuses after that anyway, 409). The form itself
 * goes through the phone's outbox (offline/forms.js), or by htmx where there is none.
 */
(function () {
  "use strict";
  var fix = null;
  function states(text) {
    document.querySelectorAll(".visit-form .gps-state").forEach(function (s) { s.textContent = text; });
  }
  // The fix rides in hidden fields, so it goes with the form however it is sent (the phone's
  // outbox, offline/forms.js, or htmx).
  function remember() {
    var values = { lon: fix.lon, lat: fix.lat, accuracy: fix.accuracy, fixed_at: new Date(fix.time).toISOString() };
    document.querySelectorAll(".visit-form").forEach(function (form) {
      Object.keys(values).forEach(function (name) {
        var input = form.querySelector("input[type=hidden][name=" + name + "]");
        if (!input) {
          input = document.createElement("input");
          input.type = "hidden"; input.name = name;
          form.appendChild(input);
        }
        input.value = values[name];
      });
    });
  }
  if (document.querySelector(".visit-form") && navigator.geolocation) {
    var watch = navigator.geolocation.watchPosition(function (pos) {
      if (fix && pos.coords.accuracy > fix.accuracy && Date.now() - fix.time < 60000) return;
      fix = {
        lon: pos.coords.longitude, lat: pos.coords.latitude,
        accuracy: Math.round(pos.coords.accuracy), time: pos.timestamp || Date.now()
      };
      states("GPS ±" + fix.accuracy + " m");
      remember();
    }, function () { states(""); }, { enableHighAccuracy: true, maximumAge: 60000, timeout: 30000 });
    setTimeout(function () { navigator.geolocation.clearWatch(watch); }, 10 * 60000);
  }
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
  document.body.addEventListener("htmx:afterSwap", function () {
    expireUndos();
    if (fix) remember(); // a form brought back by an undo
  });
  document.addEventListener("gridgov:undo-shown", expireUndos);
})();
