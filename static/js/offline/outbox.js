/* The phone's outbox (DESIGN §8 "Field work"). A report, visit or verification made with no
 * signal waits here, in IndexedDB with its photos as blobs (offline/store.js), and is sent
 * when the network returns: on page load, on the "online" event and by a retry with backoff,
 * with nobody tapping anything, and by the service worker's Background Sync where the
 * browser has it (even with no page open). Each item is sent under its own Idempotency-Key
 * (its id), so a repeat whose answer was lost never does it twice. Nothing is dropped
 * silently: an item the server refuses (400, 409) stays, with the reason, until the worker
 * corrects it or deletes it.
 *
 * Pages show the queue in [data-outbox-list] (a list) and #outbox-badge (a count); forms
 * (report.js, offline/forms.js) add items with GridGovOutbox.queue(). Also registers the
 * service worker.
 * Sends with the session cookie and the page's CSRF token (what the API accepts from pages):
 * no long-lived token is kept in the phone's storage. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("gridgov-outbox").textContent);
  var t = config.t;
  var FIRST_DELAY = 5000, MAX_DELAY = 300000;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.sw).catch(function (e) { console.warn("service worker:", e); });
    document.querySelectorAll("form.logout").forEach(function (form) {
      form.addEventListener("submit", function () {
        var sw = navigator.serviceWorker.controller;
        if (sw) sw.postMessage("signed-out");
      });
    });
  }
  if (!window.indexedDB || !window.GridGovStore) return;

  var store = window.GridGovStore;
  var owner = "page-" + Math.random().toString(36).slice(2);
  function all() { return store.all(config.user); }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.from(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- sending -------------------------------------------------------------------------------
  function csrf() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }
  function announce(result) {
    // ``case`` for the report form; ``result`` is what the server answered, whatever the item.
    document.dispatchEvent(new CustomEvent("gridgov:sent", { detail: { item: result.item, case: result.data, result: result.data } }));
  }
  // Where the browser has Background Sync (Chromium), the service worker sends what is left
  // when the signal returns, even with no GridGov page open; the pages' own sending stays.
  function syncLater() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("gridgov-outbox");
    }).catch(function () {});
  }

  var busy = false, again = false, delay = FIRST_DELAY, timer = null;
  function flush() {
    if (busy) { again = true; return Promise.resolve(); } // an item queued meanwhile goes next
    busy = true;
    again = false;
    clearTimeout(timer);
    return store.flush({ user: config.user, owner: owner, csrf: csrf(), t: t, onChange: changed, onSent: announce })
      .then(function (summary) {
        busy = false;
        changed();
        if (again) return flush();
        if (summary.left) {
          if (summary.offline) syncLater();
          timer = setTimeout(flush, delay);
          delay = Math.min(delay * 2, MAX_DELAY);
        } else {
          delay = FIRST_DELAY;
        }
      }, function (error) { busy = false; console.warn("outbox:", error); });
  }

  // --- showing -------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function row(item) {
    var li = el("li", { "class": "outbox-item " + item.state, "data-id": item.id });
    li.appendChild(el("strong", {}, item.label));
    li.appendChild(el("span", { "class": "muted" }, " · " + (item.detail || item.fields.category) + " · " +
      t.photos.replace("%(n)s", item.photos.length)));
    li.appendChild(el("span", { "class": "outbox-state", "data-testid": "outbox-state" }, t.states[item.state] || item.state));
    if (item.reason) li.appendChild(el("p", { "class": item.state === "refused" ? "refusal" : "muted" }, item.reason));
    var actions = el("div", { "class": "outbox-actions" });
    if (item.state === "refused" && correctable(item)) {
      actions.appendChild(el("button", { type: "button", "data-act": "correct" }, t.correct));
    }
    if (item.state !== "refused") actions.appendChild(el("button", { type: "button", "data-act": "send" }, t.send));
    actions.appendChild(el("button", { type: "button", "data-act": "delete" }, t.remove));
    li.appendChild(actions);
    return li;
  }
  // A refused item goes back into its form to be corrected, where that form is on this page.
  function correctable(item) {
    if (item.form) return !!document.getElementById(item.form);
    return Array.prototype.some.call(document.querySelectorAll("form[data-outbox]"), function (form) {
      return form.dataset.outbox === item.url;
    });
  }
  function changed() {
    return all().then(function (items) {
      var title = t.waiting.replace("%(n)s", items.length);
      var badge = document.getElementById("outbox-badge");
      if (badge) { badge.hidden = !items.length; badge.textContent = title; }
      document.querySelectorAll("[data-outbox-list]").forEach(function (box) {
        box.hidden = !items.length;
        box.querySelector("h2").textContent = title;
        var list = box.querySelector("ul");
        list.replaceChildren.apply(list, items.map(row));
      });
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-outbox-list] [data-act]");
    if (!button) return;
    var id = button.closest("[data-id]").dataset.id, act = button.dataset.act;
    store.get(id).then(function (item) {
      if (!item) return;
      if (act === "send") { delay = FIRST_DELAY; flush(); }
      if (act === "delete" && window.confirm(t.confirmRemove)) store.remove(id).then(changed);
      if (act === "correct") document.dispatchEvent(new CustomEvent("gridgov:correct", { detail: item }));
    });
  });

  window.GridGovOutbox = {
    newId: newId,
    /* Keep an item (replacing one with the same id) and try to send it now. */
    queue: function (item) {
      item.user = config.user;
      item.created = item.created || Date.now();
      item.state = "waiting";
      item.reason = "";
      item.csrf = csrf(); // for the service worker, which has no page to read it from
      return store.put(item).then(changed).then(function () { delay = FIRST_DELAY; return flush(); });
    },
  };
  window.addEventListener("online", function () { delay = FIRST_DELAY; flush(); });
  // What the service worker sent while this page was open.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (!event.data || event.data.type !== "gridgov:sent") return;
      changed();
      announce(event.data);
    });
  }
  changed();
  flush();
})();
