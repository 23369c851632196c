/* Capture facts with each photo (cases.photos.capture): when a photo is chosen (or taken with
 * the camera), its time (the file's lastModified: the camera's moment) and the phone's GPS fix
 * go beside it as hidden fields, one per photo; the phone's clock goes with the request
 * (client_now) so the server can measure its skew. Recorded when the user chooses the files
 * (gridgov.js's downscaled copies replace them without a change event: the facts stay).
 */
(function () {
  "use strict";
  function hidden(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value == null ? "" : value;
    input.className = "capture-field";
    form.appendChild(input);
  }
  function record(input, fix) {
    var form = input.form;
    form.querySelectorAll(".capture-field").forEach(function (n) { n.remove(); });
    Array.prototype.forEach.call(input.files, function (file) {
      hidden(form, "photo_taken_at", new Date(file.lastModified || Date.now()).toISOString());
      hidden(form, "photo_lon", fix ? fix.coords.longitude : "");
      hidden(form, "photo_lat", fix ? fix.coords.latitude : "");
      hidden(form, "photo_accuracy", fix ? Math.round(fix.coords.accuracy) : "");
    });
    hidden(form, "client_now", new Date().toISOString());
  }
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input.name !== "photos" || !input.form || !input.files || !input.files.length) return;
    record(input, null);
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (fix) { record(input, fix); }, function () {},
      { enableHighAccuracy: true, maximumAge: 60000, timeout: 15000 });
  });
  function stamp(form) {
    var now = form && form.querySelector(".capture-field[name=client_now]");
    if (now) now.value = new Date().toISOString();
  }
  document.addEventListener("submit", function (e) { stamp(e.target); }, true);
  document.body.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt.closest("form");
    if (form && form.querySelector(".capture-field[name=client_now]")) {
      e.detail.parameters.client_now = new Date().toISOString();
    }
  });
})();
