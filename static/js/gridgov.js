/* GridGov pages: htmx settings, live countdowns, photo downscaling. No build step. */
(function () {
  "use strict";

  // Refusals come back as 400/403/409 with the reason rendered in the fragment: show them.
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(400|403|409)", swap: true, error: false },
      { code: "...", swap: false, error: true },
    ];
  }

  var i18n = JSON.parse(document.getElementById("gridgov-i18n").textContent);
  function fmt(s, values) {
    return s.replace(/%\((\w+)\)[sd]/g, function (_, k) { return values[k]; });
  }
  function durationText(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (d) return fmt(i18n.dh, { d: d, h: h });
    if (h) return fmt(i18n.hm, { h: h, m: m });
    return fmt(i18n.m, { m: m });
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var seconds = (Date.parse(el.dataset.due) - now) / 1000;
      el.textContent = fmt(seconds < 0 ? i18n.late : i18n.left, { t: durationText(seconds) });
      el.classList.toggle("late", seconds < 0);
    });
  }
  setInterval(tick, 30000);

  // Photos from a phone camera are several MB: shrink them before upload where the browser
  // can (canvas + DataTransfer), so a report over a weak connection stays small.
  function downscale(file, maxSide) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) return resolve(file);
      createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
        if (scale === 1 && file.size < 1500000) return resolve(file);
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.82);
      }, function () { resolve(file); });
    });
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-downscale]") || !window.DataTransfer) return;
    if (input.dataset.busy) return;
    // A form that takes at most n photos says so at once, not after a slow upload.
    var most = parseInt(input.dataset.maxFiles || "0", 10);
    input.setCustomValidity(most && input.files.length > most ? input.dataset.maxMessage : "");
    if (most && input.files.length > most) { input.reportValidity(); return; }
    var maxSide = parseInt(input.dataset.downscale, 10);
    var form = input.form, button = form && form.querySelector("button:not([type=button])");
    if (button) button.disabled = true;
    Promise.all(Array.from(input.files).map(function (f) { return downscale(f, maxSide); })).then(function (files) {
      var transfer = new DataTransfer();
      files.forEach(function (f) { transfer.items.add(f); });
      input.dataset.busy = "1";
      input.files = transfer.files;
      delete input.dataset.busy;
      if (button) button.disabled = false;
      var preview = document.getElementById(input.dataset.preview || "photo-preview");
      if (preview) {
        preview.innerHTML = "";
        files.forEach(function (f) {
          var img = document.createElement("img");
          img.src = URL.createObjectURL(f);
          img.alt = f.name + " (" + Math.round(f.size / 1024) + " KB)";
          img.title = img.alt;
          preview.appendChild(img);
        });
      }
    });
  });

  // A search box that narrows a <select>'s options (input[data-filter-select="#id"]) and
  // picks the first match, so a long category list is found by typing.
  document.addEventListener("input", function (event) {
    var search = event.target;
    if (!search.matches || !search.matches("input[data-filter-select]")) return;
    var select = document.querySelector(search.dataset.filterSelect);
    var q = search.value.trim().toLowerCase(), first = null;
    select.querySelectorAll("option").forEach(function (o) {
      var group = (o.parentNode.label || "").toLowerCase();
      var hit = !q || !o.value || o.textContent.toLowerCase().indexOf(q) >= 0 || group.indexOf(q) >= 0;
      o.hidden = !hit;
      if (hit && o.value && !first) first = o;
    });
    if (q && first) {
      select.value = first.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
