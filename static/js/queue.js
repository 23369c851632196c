/* Street staff's queue from the keyboard: j/k move, d accept+dispatch, a accept/approve,
 * r reject (focus the reason), m merge into the first duplicate, Enter open. */
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) return;
  function items() { return Array.from(queue.querySelectorAll("[data-queue-item]")); }
  var current = null;
  function focus(item) {
    if (current) current.classList.remove("focused");
    current = item || null;
    if (current) { current.classList.add("focused"); current.focus({ preventScroll: true }); current.scrollIntoView({ block: "nearest" }); }
  }
  function move(step) {
    var list = items(), i = list.indexOf(current);
    focus(list[Math.max(0, Math.min(list.length - 1, i + step))] || list[0]);
  }
  queue.addEventListener("focusin", function (e) {
    var item = e.target.closest("[data-queue-item]");
    if (item && item !== current) { if (current) current.classList.remove("focused"); current = item; item.classList.add("focused"); }
  });
  // After an action the item becomes a one-line result: go on with the next one.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.elt && e.detail.elt.matches && e.detail.elt.matches("[data-queue-done]")) {
      var next = e.detail.elt.nextElementSibling;
      while (next && !next.matches("[data-queue-item]")) next = next.nextElementSibling;
      focus(next || items()[0]);
    } else if (e.detail.elt && e.detail.elt.matches && e.detail.elt.matches("[data-queue-item]")) {
      focus(e.detail.elt);
    } else if (e.detail.target === queue) {  // the next reports, the list reloaded in place
      current = null;
      focus(items()[0]);
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (typing) { if (e.key === "Escape") document.activeElement.blur(); return; }
    if (!current && /^[jkadrm]$/.test(e.key)) focus(items()[0]);
    if (!current) return;
    var button;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "d": case "a": case "m":
        button = current.querySelector('button[data-key="' + e.key + '"]');
        if (button) button.click();
        break;
      case "r":
        var reason = current.querySelector('[data-key-focus="r"]');
        if (reason) { reason.focus(); e.preventDefault(); }
        break;
      case "Enter":
        var link = current.querySelector("a[href]");
        if (link && document.activeElement === current) link.click();
        break;
      default: return;
    }
  });
  focus(items()[0]);
})();
