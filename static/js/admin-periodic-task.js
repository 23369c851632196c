/* The admin's periodic task form (templates/admin/djcelery/change_periodictask_form.html):
 * under the crontab field, the chosen schedule in words, as django-celery-beat's own inline
 * script does. */
(function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  if (!$) return;
  var data = document.currentScript.dataset;
  var readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var words = data.inWords + " " + readable[$("#id_crontab").val()];
    $(".field-crontab .help").text(data.help).append("<br>", document.createTextNode(words));
  });
})();
