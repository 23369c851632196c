/* Street staff's queue from the keyboard (README, "The desk"):
 *   j / k next / previous; d accept and dispatch to the first suggested department (with none:
 *   the picker); 1–9 to that suggestion; / the department picker; a accept (or approve);
 *   r reject (or refuse, decline) with a reason; m merge into the first duplicate; Enter open;
 *   x select, * select all / none, D dispatch the selected, R reject the selected; f search;
 *   n the next page; Esc leaves a field or the picker.
 * The focused item alone shows its details and map (beside the list at a desk). */
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) return;
  var picker = document.getElementById("dept-picker");
  var pickSearch = document.getElementById("dept-search");
  var pickList = document.getElementById("dept-list");
  var count = document.getElementById("bulk-count");
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
  function counted() {
    if (count) count.textContent = queue.querySelectorAll("[name=case]:checked").length;
  }
  function toggle(item) {
    var box = item && item.querySelector("[name=case]");
    if (box) { box.checked = !box.checked; counted(); }
  }
  function toggleAll() {
    var boxes = Array.from(queue.querySelectorAll("[name=case]"));
    var on = boxes.some(function (b) { return !b.checked; });
    boxes.forEach(function (b) { b.checked = on; });
    counted();
  }
  queue.addEventListener("change", counted);
  queue.addEventListener("focusin", function (e) {
    var item = e.target.closest("[data-queue-item]");
    if (item && item !== current) { if (current) current.classList.remove("focused"); current = item; item.classList.add("focused"); }
  });

  // The department picker: one list for the whole page, for the focused item.
  var pickFor = null;
  function openPicker(item) {
    if (!picker || !item || !item.querySelector("[data-pick-form]")) return;
    pickFor = item;
    pickSearch.value = "";
    pickList.querySelectorAll("option").forEach(function (o) { o.hidden = false; });
    pickList.selectedIndex = 0;
    picker.showModal();
    pickSearch.focus();
  }
  function visibleOptions() { return Array.from(pickList.options).filter(function (o) { return !o.hidden; }); }
  function pickStep(step) {
    var options = visibleOptions(), i = options.indexOf(pickList.options[pickList.selectedIndex]);
    var next = options[Math.max(0, Math.min(options.length - 1, i + step))];
    if (next) pickList.value = next.value;
  }
  function pickChosen() {
    var form = pickFor && pickFor.querySelector("[data-pick-form]");
    var chosen = pickList.options[pickList.selectedIndex];
    if (!form || !chosen || chosen.hidden) return;
    form.querySelector("[name=department]").value = chosen.value;
    picker.close();
    form.requestSubmit();
  }
  if (picker) {
    pickSearch.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") { pickStep(e.key === "ArrowDown" ? 1 : -1); e.preventDefault(); }
      else if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); pickChosen(); }
    });
    // Stopped here: the page's Enter (open the focused case) must not see it once closed.
    pickList.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); pickChosen(); }
    });
    pickList.addEventListener("dblclick", pickChosen);
    picker.addEventListener("close", function () { if (pickFor && document.contains(pickFor)) focus(pickFor); });
  }
  queue.addEventListener("click", function (e) {
    var pick = e.target.closest("[data-pick]");
    if (pick) openPicker(pick.closest("[data-queue-item]"));
  });

  // After an action the item becomes a one-line result: go on with the next one.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    var elt = e.detail.elt;
    if (elt && elt.matches && elt.matches("[data-queue-done]")) {
      var next = elt.nextElementSibling;
      while (next && !next.matches("[data-queue-item]")) next = next.nextElementSibling;
      focus(next || items()[0]);
    } else if (elt && elt.matches && elt.matches("[data-queue-item]")) {
      focus(elt);
    } else if (e.detail.target === queue) {  // the next reports or a new search, in place
      current = null;
      focus(items()[0]);
    } else if (e.detail.target.id === "bulk-result" && !live()) {
      focus(items()[0]);
    }
    counted();
  });
  // The focused item, if it is still one waiting on the page (a bulk result swaps the done
  // ones out of band for their one-line results).
  function live() {
    return current && document.contains(current) && current.matches("[data-queue-item]") ? current : null;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (picker && picker.open) return;  // the picker's own keys
    var active = document.activeElement;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.type !== "checkbox";
    if (typing) { if (e.key === "Escape") { active.blur(); focus(live() || items()[0]); } return; }
    current = live();
    var field, button;
    if (e.key === "f" || e.key === "R") {  // page-wide fields
      field = document.querySelector('[data-key-focus="' + e.key + '"]');
      if (field) { field.focus(); e.preventDefault(); }
      return;
    }
    if (e.key === "D" || e.key === "n") {
      button = document.querySelector('button[data-key="' + e.key + '"]');
      if (button) { button.click(); e.preventDefault(); }
      return;
    }
    if (e.key === "*") { toggleAll(); return; }
    if (!current && /^[jkadrmx/1-9]$/.test(e.key)) focus(items()[0]);
    if (!current) return;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": toggle(current); break;
      case "/": openPicker(current); e.preventDefault(); break;
      case "d": case "a": case "m":
        button = current.querySelector('button[data-key="' + e.key + '"]');
        if (button) button.click();
        break;
      case "r":
        field = current.querySelector('[data-key-focus="r"]');
        if (field) { field.focus(); e.preventDefault(); }
        break;
      case "Enter":
        var link = current.querySelector("a[href]");
        if (link && document.activeElement === current) link.click();
        break;
      default:
        if (/^[1-9]$/.test(e.key)) {
          button = current.querySelector('button[data-dept-key="' + e.key + '"]');
          if (button) button.click();
        }
    }
  });
  focus(items()[0]);
  counted();
})();
