/* The phone's outbox (DESIGN §8 "Field work"). A report made with no signal waits here, in
 * IndexedDB with its photos as blobs, and is sent when the network returns: on page load, on
 * the "online" event and by a retry with backoff, with nobody tapping anything. Each item is
 * sent under its own Idempotency-Key (its id), so a repeat of a report whose answer was lost
 * never files it twice. Nothing is dropped silently: a report the server refuses (400, 409)
 * stays, with the reason, until the worker corrects it or deletes it.
 *
 * Pages show the queue in [data-outbox-list] (a list) and #outbox-badge (a count); the report form
 * (report.js) adds items with GridGovOutbox.queue(). Also registers the service worker.
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
  if (!window.indexedDB) return;

  // --- storage -------------------------------------------------------------------------------
  var opened = null;
  function db() {
    opened = opened || new Promise(function (resolve, reject) {
      var request = indexedDB.open("gridgov-outbox", 1);
      request.onupgradeneeded = function () { request.result.createObjectStore("items", { keyPath: "id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opened;
  }
  function run(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("items", mode), request = work(tx.objectStore("items"));
        tx.oncomplete = function () { resolve(request.result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function mine(item) { return item.user === config.user; }
  function all() {
    return run("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.filter(mine).sort(function (a, b) { return a.created - b.created; });
    });
  }
  function get(id) { return run("readonly", function (s) { return s.get(id); }); }
  function put(item) { return run("readwrite", function (s) { return s.put(item); }); }
  function remove(id) { return run("readwrite", function (s) { return s.delete(id); }); }

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
  function reasonOf(data, status) {
    if (data && data.detail) return String(data.detail);
    if (data && typeof data === "object") {
      return Object.keys(data).map(function (k) { return [].concat(data[k]).join(" "); }).join(" ");
    }
    return t.status.replace("%(status)s", status);
  }
  function settle(item, state, reason, errors) {
    item.state = state;
    item.reason = reason;
    item.errors = errors || null;
    item.tries = (item.tries || 0) + 1;
    return put(item).then(function () { return state; });
  }
  function sendOne(item) {
    var body = new FormData();
    Object.keys(item.fields).forEach(function (k) {
      // The phone's clock now, not when the report was queued: the server measures its skew.
      var value = k === "client_now" ? [new Date().toISOString()] : item.fields[k];
      [].concat(value).forEach(function (v) { body.append(k, v); });
    });
    item.photos.forEach(function (p) { body.append("photos", p.blob, p.name); });
    item.state = "sending";
    return put(item).then(changed).then(function () {
      return fetch(item.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "Idempotency-Key": item.id, "X-CSRFToken": csrf(), Accept: "application/json" },
      });
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) {
          return remove(item.id).then(function () {
            document.dispatchEvent(new CustomEvent("gridgov:sent", { detail: { item: item, case: data } }));
            return "sent";
          });
        }
        // Signed out or a stale page's token (401, 403), too many (429), the server down or
        // busy (5xx): not the report's fault, try again. Any other 4xx is about the report.
        var code = response.status;
        var retry = code === 401 || code === 403 || code === 408 || code === 429 || code >= 500;
        return settle(item, retry ? "waiting" : "refused", reasonOf(data, code),
          code === 400 ? data : null);
      });
    }, function () {
      return settle(item, "waiting", t.offline);
    });
  }

  var busy = false, again = false, delay = FIRST_DELAY, timer = null;
  function flush() {
    if (busy) { again = true; return Promise.resolve(); } // a report queued meanwhile goes next
    busy = true;
    again = false;
    clearTimeout(timer);
    return all().then(function (items) {
      // One at a time, oldest first; no signal for one means none for the rest.
      return items.filter(function (i) { return i.state !== "refused"; }).reduce(function (chain, item) {
        return chain.then(function (offline) {
          return offline || sendOne(item).then(function (outcome) { return outcome === "waiting" && item.reason === t.offline; });
        });
      }, Promise.resolve(false));
    }).then(all).then(function (left) {
      busy = false;
      changed();
      if (again) return flush();
      if (left.some(function (i) { return i.state !== "refused"; })) {
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
    li.appendChild(el("span", { "class": "muted" }, " · " + item.fields.category + " · " +
      t.photos.replace("%(n)s", item.photos.length)));
    li.appendChild(el("span", { "class": "outbox-state", "data-testid": "outbox-state" }, t.states[item.state] || item.state));
    if (item.reason) li.appendChild(el("p", { "class": item.state === "refused" ? "refusal" : "muted" }, item.reason));
    var actions = el("div", { "class": "outbox-actions" });
    if (item.state === "refused" && document.querySelector("form[data-outbox]")) {
      actions.appendChild(el("button", { type: "button", "data-act": "correct" }, t.correct));
    }
    if (item.state !== "refused") actions.appendChild(el("button", { type: "button", "data-act": "send" }, t.send));
    actions.appendChild(el("button", { type: "button", "data-act": "delete" }, t.remove));
    li.appendChild(actions);
    return li;
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
    get(id).then(function (item) {
      if (!item) return;
      if (act === "send") { delay = FIRST_DELAY; flush(); }
      if (act === "delete" && window.confirm(t.confirmRemove)) remove(id).then(changed);
      if (act === "correct") document.dispatchEvent(new CustomEvent("gridgov:correct", { detail: item }));
    });
  });

  window.GridGovOutbox = {
    newId: newId,
    /* Keep a report (replacing one with the same id) and try to send it now. */
    queue: function (item) {
      item.user = config.user;
      item.created = item.created || Date.now();
      item.state = "waiting";
      item.reason = "";
      return put(item).then(changed).then(function () { delay = FIRST_DELAY; return flush(); });
    },
  };
  window.addEventListener("online", function () { delay = FIRST_DELAY; flush(); });
  changed();
  flush();
})();
