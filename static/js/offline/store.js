/* The phone's outbox store and sender (DESIGN §8 "Field work"), with no DOM: the pages
 * (outbox.js) and the service worker (sw.js, Background Sync) both send through it.
 *
 * An item is { id (its Idempotency-Key), user, url, label, detail, fields, photos:
 * [{ field, name, type, blob }], state: waiting|sending|refused, reason, csrf }. Before
 * sending, a sender claims the item in one IndexedDB transaction (IndexedDB runs
 * read-write transactions on a store one at a time, across tabs and the service worker), so
 * two senders never send the same item at once; a claim left by a closed tab lapses after
 * CLAIM_MS, or at once when the service worker sends with no GridGov page open. The
 * server's Idempotency-Key makes a repeat after a lost answer harmless besides.
 */
(function (scope) {
  "use strict";
  var CLAIM_MS = 120000;
  var RETRY = { 401: 1, 403: 1, 408: 1, 429: 1 }; // not the item's fault: try again

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
  /* ``work(store)`` in one transaction; resolves to what its returned function gives (or an
   * IDBRequest's result) once the transaction has committed. */
  function run(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("items", mode), answer = work(tx.objectStore("items"));
        tx.oncomplete = function () { resolve(typeof answer === "function" ? answer() : answer && answer.result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function all(user) {
    return run("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.filter(function (i) { return i.user === user; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }
  function get(id) { return run("readonly", function (s) { return s.get(id); }); }
  function put(item) { return run("readwrite", function (s) { return s.put(item); }); }
  function remove(id) { return run("readwrite", function (s) { return s.delete(id); }); }

  /* The item, now marked as being sent by ``owner``; null if it is gone, refused, or being
   * sent by someone else. ``orphaned``: other claims are void (their senders are gone). */
  function claim(id, owner, orphaned) {
    return run("readwrite", function (s) {
      var claimed = null, request = s.get(id);
      request.onsuccess = function () {
        var item = request.result, now = Date.now();
        if (!item || item.state === "refused") return;
        if (item.claim && item.claim.by !== owner && item.claim.until > now && !orphaned) return;
        item.claim = { by: owner, until: now + CLAIM_MS };
        item.state = "sending";
        s.put(item);
        claimed = item;
      };
      return function () { return claimed; };
    });
  }
  function settle(item, state, reason, errors) {
    delete item.claim;
    item.state = state;
    item.reason = reason;
    item.errors = errors || null;
    item.tries = (item.tries || 0) + 1;
    return put(item);
  }

  function reasonOf(data, status, t) {
    if (data && data.detail) return String(data.detail);
    if (data && typeof data === "object") {
      return Object.keys(data).map(function (k) { return [].concat(data[k]).join(" "); }).join(" ");
    }
    return t.status.replace("%(status)s", status);
  }
  function body(item) {
    var form = new FormData();
    Object.keys(item.fields).forEach(function (k) {
      // The phone's clock now, not when the item was queued: the server measures its skew.
      var value = k === "client_now" ? [new Date().toISOString()] : item.fields[k];
      [].concat(value).forEach(function (v) { form.append(k, v); });
    });
    item.photos.forEach(function (p) { form.append(p.field || "photos", p.blob, p.name); });
    return form;
  }

  /* Send one claimed item: { outcome: sent|waiting|refused|offline, item, data }. */
  function sendOne(item, options) {
    return fetch(item.url, {
      method: "POST",
      body: body(item),
      credentials: "same-origin",
      headers: { "Idempotency-Key": item.id, "X-CSRFToken": options.csrf || item.csrf || "", Accept: "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) return remove(item.id).then(function () { return { outcome: "sent", item: item, data: data }; });
        // Signed out or a stale token (401, 403), too many (429), the server down or busy
        // (5xx): try again. Any other 4xx is about the item: it stays, with the reason.
        var code = response.status, retry = RETRY[code] || code >= 500;
        return settle(item, retry ? "waiting" : "refused", reasonOf(data, code, options.t), code === 400 ? data : null)
          .then(function () { return { outcome: retry ? "waiting" : "refused", item: item, data: data }; });
      });
    }, function () {
      return settle(item, "waiting", options.t.offline).then(function () { return { outcome: "offline", item: item }; });
    });
  }

  /* Send ``options.user``'s items, oldest first, one at a time; stop at the first that finds
   * no network. ``options``: user, owner (a claim's name), orphaned (no other sender is alive:
   * their claims are void), csrf (the page's token; else the item's), t (texts), onChange(),
   * onSent(result). Resolves to { offline, left }. */
  function flush(options) {
    var offline = false;
    return all(options.user).then(function (items) {
      return items.filter(function (i) { return i.state !== "refused"; }).reduce(function (chain, listed) {
        return chain.then(function () {
          if (offline) return null;
          return claim(listed.id, options.owner, options.orphaned).then(function (item) {
            if (!item) return null;
            if (options.onChange) options.onChange();
            return sendOne(item, options).then(function (result) {
              if (result.outcome === "offline") offline = true;
              if (result.outcome === "sent" && options.onSent) options.onSent(result);
            });
          });
        });
      }, Promise.resolve());
    }).then(function () { return all(options.user); }).then(function (left) {
      return { offline: offline, left: left.filter(function (i) { return i.state !== "refused"; }).length };
    });
  }

  scope.GridGovStore = { all: all, get: get, put: put, remove: remove, flush: flush };
})(self);
