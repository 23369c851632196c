/* The integrity review page: a group's checkbox selects every open flag of that group. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("[data-select-group]")) return;
    var group = e.target.closest(".flag-group");
    group.querySelectorAll("[name=flag]").forEach(function (box) { box.checked = e.target.checked; });
  });
})();
