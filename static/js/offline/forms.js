/* Forms that go through the phone's outbox (offline/outbox.js): form.outbox-form[data-outbox]
 * — the household visit on the task list and the case page's verification forms. On "send"
 * the form's fields and photos (as blobs) are kept in the outbox under a new Idempotency-Key
 * and posted to the API at data-outbox, now or when there is signal; htmx (the form's
 * fallback where there is no outbox) is not asked. What the form says meanwhile and after:
 *
 * - data-reload: once sent, the page reloads (the case shows its new state);
 * - data-done, data-undo, data-undo-url: a visit: once sent, its row says so, with an undo
 *   button for the server's five minutes (the undo page route, by htmx).
 *
 * A refused item stays in the outbox list with the reason; "Correct" brings it back into its
 * form, photos included, to be resent under the same key.
 */
(function () {
  "use strict";
  var outbox = window.GridGovOutbox;
  if (!outbox) return;
  var notice = document.getElementById("outbox-notice");
  var pending = {}; // item id -> its form, for items queued from this page

  function fieldsOf(form) {
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string" || name === "csrfmiddlewaretoken") return;
      (fields[name] = fields[name] || []).push(value);
    });
    return fields;
  }
  function photosOf(form) {
    var photos = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) {
        photos.push({ field: input.name, name: f.name, type: f.type, blob: f, lastModified: f.lastModified });
      });
    });
    return photos;
  }
  function say(form, text) {
    var where = form.querySelector(".outbox-said");
    if (!where) {
      where = document.createElement("p");
      where.className = "notice outbox-said";
      where.setAttribute("role", "status");
      form.appendChild(where);
    }
    where.textContent = text;
  }

  // Before htmx (which listens on the form): capture at the document.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form.outbox-form[data-outbox]");
    if (!form) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var editing = form.outboxEditing;
    var item = {
      id: editing ? editing.id : outbox.newId(),
      created: editing ? editing.created : null,
      url: form.dataset.outbox,
      form: form.id,
      label: form.dataset.outboxLabel,
      detail: form.dataset.outboxDetail,
      fields: fieldsOf(form),
      photos: photosOf(form),
    };
    form.outboxEditing = null;
    pending[item.id] = form;
    form.querySelectorAll(".refusal").forEach(function (n) { n.remove(); });
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    if (notice) say(form, notice.dataset.saved);
    outbox.queue(item);
  }, true);

  // The form an item came from, if it is one of ours on this page (report.js has its own).
  function ours(item) {
    var form = item.form && document.getElementById(item.form);
    return form && form.classList.contains("outbox-form") ? form : null;
  }

  function visitDone(form, visit) {
    var row = form.closest("li") || form;
    var done = document.createElement("li");
    done.className = "case-row done";
    done.id = row.id;
    done.dataset.testid = "visit-done";
    done.appendChild(document.createElement("div")).textContent = form.dataset.done;
    if (visit.thumbnail_url) {
      var thumb = done.appendChild(document.createElement("img"));
      thumb.className = "task-thumb"; thumb.alt = ""; thumb.src = visit.thumbnail_url;
      thumb.dataset.testid = "visit-photo";
    }
    var meta = done.appendChild(document.createElement("div"));
    meta.className = "meta";
    if (visit.note) meta.appendChild(document.createElement("span")).textContent = visit.note;
    var fix = meta.appendChild(document.createElement("span"));
    fix.className = "fix";
    fix.dataset.testid = "fix";
    fix.textContent = visit.lon == null ? form.dataset.noFix
      : "GPS" + (visit.accuracy_m == null ? "" : " ±" + Math.round(visit.accuracy_m) + " m");
    if (visit.can_undo) {
      var url = form.dataset.undoUrl.replace("/0/", "/" + visit.id + "/");
      var undo = document.createElement("form");
      undo.method = "post";
      undo.action = url;
      undo.className = "undo";
      undo.setAttribute("hx-post", url);
      undo.setAttribute("hx-target", "#" + row.id);
      undo.setAttribute("hx-swap", "outerHTML");
      undo.dataset.undoUntil = String(Math.floor(Date.parse(visit.undo_until) / 1000));
      var token = form.querySelector("[name=csrfmiddlewaretoken]").cloneNode();
      var button = document.createElement("button");
      button.dataset.testid = "undo";
      button.textContent = form.dataset.undo;
      undo.append(token, button);
      done.appendChild(document.createElement("div")).appendChild(undo);
    }
    row.replaceWith(done);
    if (window.htmx) window.htmx.process(done);
    document.dispatchEvent(new CustomEvent("gridgov:undo-shown"));
  }

  document.addEventListener("gridgov:sent", function (event) {
    var item = event.detail.item;
    var form = pending[item.id] || ours(item);
    if (!form) return;
    delete pending[item.id];
    if (form.dataset.reload) window.location.reload();
    else if (form.dataset.done && event.detail.result) visitDone(form, event.detail.result);
  });

  document.addEventListener("gridgov:correct", function (event) {
    var item = event.detail, form = ours(item);
    if (!form) return;
    form.outboxEditing = item;
    Object.keys(item.fields).forEach(function (name) {
      var input = form.elements[name];
      if (input && input.type !== "file" && input.type !== "hidden") input.value = [].concat(item.fields[name]).join("\n");
    });
    if (window.DataTransfer) {
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        var transfer = new DataTransfer();
        item.photos.filter(function (p) { return p.field === input.name; }).forEach(function (p) {
          transfer.items.add(new File([p.blob], p.name, { type: p.type, lastModified: p.lastModified }));
        });
        input.files = transfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    }
    form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    form.querySelectorAll(".outbox-said").forEach(function (n) { n.remove(); });
    var refusal = document.createElement("div");
    refusal.className = "refusal";
    refusal.setAttribute("role", "alert");
    refusal.textContent = item.reason;
    form.prepend(refusal);
    var details = form.closest("details");
    if (details) details.open = true;
    form.scrollIntoView();
  });
})();
