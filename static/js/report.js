/* The report form: point from GPS or a tap, its cell found on the phone among the worker's
 * cells (kept by the service worker, so it works with no signal); favourite categories as
 * chips (the search over all categories is gridgov.js's data-filter-select); open cases of
 * the same category nearby ("already reported?"). A field worker's form[data-outbox] goes
 * through the phone's outbox (offline/outbox.js): kept with its photos, then sent. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var map = document.getElementById("report-map");
  var status = document.getElementById("gps-status");
  var lon = form.querySelector("[name=lon]"), lat = form.querySelector("[name=lat]");
  var select = document.getElementById("id_category");

  // --- the cell of the point: ray casting over the cells' GeoJSON rings ---------------------
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inPolygon(x, y, rings) {
    return inRing(x, y, rings[0]) && !rings.slice(1).some(function (hole) { return inRing(x, y, hole); });
  }
  function contains(geometry, x, y) {
    var polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
    return polygons.some(function (rings) { return inPolygon(x, y, rings); });
  }
  var cells = fetch(map.dataset.cellsUrl, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : []; })
    .catch(function () { return []; });

  map.addEventListener("gridgov:point", function (e) {
    lon.value = e.detail.lon.toFixed(7);
    lat.value = e.detail.lat.toFixed(7);
    cells.then(function (list) {
      var cell = list.filter(function (c) { return contains(c.geometry, e.detail.lon, e.detail.lat); })[0];
      status.textContent = cell ? status.dataset.found + " " + cell.name + " · " + cell.community_name : status.dataset.outside;
      status.classList.toggle("error", !cell);
    });
    showNearby();
  });
  map.addEventListener("gridgov:nofix", function () {
    if (!lon.value) { status.textContent = status.dataset.failed; status.classList.add("error"); }
  });

  var chips = document.querySelectorAll("#favourites .chip");
  function markChip() {
    chips.forEach(function (c) { c.classList.toggle("on", c.dataset.code === select.value); });
  }
  chips.forEach(function (chip) {
    chip.addEventListener("click", function () { select.value = chip.dataset.code; markChip(); showNearby(); });
  });
  select.addEventListener("change", function () { markChip(); showNearby(); });
  markChip();

  // --- already reported nearby? ----------------------------------------------------------------
  var nearby = document.getElementById("nearby");
  function showNearby() {
    if (!nearby || !lon.value || !select.value) return;
    var query = "?lon=" + lon.value + "&lat=" + lat.value + "&category=" + encodeURIComponent(select.value);
    fetch(nearby.dataset.url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .catch(function () { return []; }) // no signal: nothing to offer, the report goes on
      .then(function (cases) {
        var list = nearby.querySelector("ul");
        list.replaceChildren.apply(list, cases.map(function (c) {
          var li = document.createElement("li"), a = document.createElement("a");
          a.href = c.url;
          a.textContent = c.number + " " + c.title;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" · " + c.status_display + " · " + Math.round(c.distance_m) + " m "));
          if (form.dataset.outbox) {
            var add = li.appendChild(document.createElement("button"));
            add.type = "button";
            add.className = "add-to";
            add.dataset.testid = "add-to";
            add.textContent = nearby.dataset.addTo;
            add.addEventListener("click", function () { addTo({ id: c.id, number: c.number }); });
          }
          return li;
        }));
        nearby.hidden = !cases.length;
      });
  }

  // --- already reported: add to it ---------------------------------------------------------------
  // The worker's note (the description) and photos go to the open case instead
  // (POST /api/v1/cases/<id>/supplement/, through the outbox like a report).
  var adding = document.getElementById("adding-to"), addingTo = null;
  function addTo(target) {
    addingTo = target;
    if (!adding) return;
    adding.hidden = !target;
    if (target) {
      adding.querySelector("span").textContent = adding.dataset.text.replace("%(number)s", target.number);
      adding.scrollIntoView({ block: "nearest" });
    }
  }
  if (adding) adding.querySelector("button").addEventListener("click", function () { addTo(null); });

  // --- through the phone's outbox ----------------------------------------------------------------
  if (!form.dataset.outbox || !window.GridGovOutbox) return;
  var outbox = window.GridGovOutbox;
  var notice = document.getElementById("outbox-notice");
  var photos = form.querySelector("input[name=photos]");
  var refusal = null, editing = null, justSent = null;
  var FIELDS = ["category", "description", "lon", "lat", "address"];

  function say(text) { notice.textContent = text; notice.hidden = !text; }
  function complete() {
    if (!lon.value) { status.textContent = status.dataset.failed; status.classList.add("error"); status.scrollIntoView(); return false; }
    return select.reportValidity() && form.elements.description.reportValidity();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!complete()) return;
    var fields = {};
    FIELDS.forEach(function (name) { fields[name] = form.elements[name].value.trim(); });
    // The photos' capture facts (capture.js), one per photo, go along.
    form.querySelectorAll(".capture-field").forEach(function (input) {
      (fields[input.name] = fields[input.name] || []).push(input.value);
    });
    var target = addingTo;
    if (target) {
      // The case's own point, category and address stay; the description is the note.
      fields.note = fields.description;
      FIELDS.forEach(function (name) { delete fields[name]; });
    }
    var item = {
      id: editing ? editing.id : outbox.newId(),
      created: editing ? editing.created : null,
      url: target ? nearby.dataset.supplement.replace("/0/", "/" + target.id + "/") : form.dataset.outbox,
      form: form.id,
      addTo: target,
      detail: target ? target.number : fields.category,
      label: (target ? fields.note : fields.description).slice(0, 60),
      fields: fields,
      photos: Array.from(photos.files).map(function (f) {
        return { name: f.name, type: f.type, blob: f, lastModified: f.lastModified };
      }),
    };
    justSent = item.id;
    editing = null;
    addTo(null);
    if (refusal) refusal.remove();
    form.reset();
    lon.value = fields.lon; // the worker is still standing there
    lat.value = fields.lat;
    document.getElementById("photo-preview").replaceChildren();
    nearby.hidden = true;
    markChip();
    say(notice.dataset.saved);
    outbox.queue(item);
  });

  document.addEventListener("gridgov:sent", function (event) {
    var filed = event.detail.case;
    if (event.detail.item.id === justSent && filed && filed.id) {
      window.location.assign("/cases/" + filed.id + "/");
    } else if (filed && filed.number) {
      say(notice.dataset.sent.replace("%(number)s", filed.number));
    }
  });

  // A refused report comes back into the form, photos included, to be corrected and resent
  // under the same key (a refusal keeps no key on the server).
  document.addEventListener("gridgov:correct", function (event) {
    var item = event.detail;
    editing = item;
    FIELDS.forEach(function (name) { if (item.fields[name] !== undefined) form.elements[name].value = item.fields[name]; });
    if (item.addTo) form.elements.description.value = item.fields.note;
    addTo(item.addTo || null);
    markChip();
    if (window.DataTransfer) {
      var transfer = new DataTransfer();
      item.photos.forEach(function (p) {
        transfer.items.add(new File([p.blob], p.name, { type: p.type, lastModified: p.lastModified }));
      });
      photos.files = transfer.files;
      // Previews (gridgov.js) and capture facts again (capture.js: the time is the photo's own).
      photos.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (refusal) refusal.remove();
    refusal = document.createElement("div");
    refusal.className = "refusal";
    refusal.setAttribute("role", "alert");
    refusal.textContent = item.reason;
    form.prepend(refusal);
    form.scrollIntoView();
  });
})();
