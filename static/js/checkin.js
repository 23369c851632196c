/* 报到 check-in (吹哨报到): fills the check-in form's hidden lon/lat/accuracy from the phone's
 * GPS fix when the form is shown, and refuses to send it without one (the server checks the
 * fix is in or near the case's cell); without a fix it says so, in the page's words
 * (``data-no-fix`` on the status line). */
(function () {
  "use strict";
  function noFix(status) {  // say so: the server refuses a check-in without a position
    if (!status) return;
    status.dataset.fix = "0";
    if (status.dataset.noFix) status.textContent = status.dataset.noFix;
  }
  function locate(form) {
    if (!form || form.dataset.located) return;
    var status = form.querySelector("[data-checkin-status]");
    if (!navigator.geolocation) { noFix(status); return; }
    form.dataset.located = "1";
    navigator.geolocation.getCurrentPosition(function (fix) {
      form.querySelector("[data-checkin=lon]").value = fix.coords.longitude;
      form.querySelector("[data-checkin=lat]").value = fix.coords.latitude;
      form.querySelector("[data-checkin=accuracy]").value = Math.round(fix.coords.accuracy);
      if (status) status.dataset.fix = "1";
    }, function () {
      form.dataset.located = "";
      noFix(status);
    }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 15000 });
  }
  function scan() {
    document.querySelectorAll("[data-checkin=lon]").forEach(function (input) { locate(input.form); });
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.body.addEventListener("htmx:afterSwap", scan);
  document.addEventListener("submit", function (e) {
    var lon = e.target.querySelector && e.target.querySelector("[data-checkin=lon]");
    if (lon && !lon.value) { e.preventDefault(); e.stopPropagation(); locate(e.target); }
  }, true);
})();
