// Progressive enhancement for the serving-unit field on the teacher sign-up form: while the
// teacher types a school name or code, offer matching units from /units/search/?q= in a
// <datalist>. Without JavaScript the field still accepts a unit code typed by hand.
(function () {
  "use strict";
  function items(payload) {
    if (Array.isArray(payload)) return payload;
    return (payload && (payload.results || payload.units || payload.items)) || [];
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-unit-search]");
    if (!form) return;
    var input = form.querySelector("input[list='unit-options']");
    var list = document.getElementById("unit-options");
    if (!input || !list) return;
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last || /^\S+\s/.test(input.value)) return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        last = q;
        var url = form.getAttribute("data-unit-search") + "?q=" + encodeURIComponent(q);
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (payload) {
            list.textContent = "";
            items(payload).slice(0, 20).forEach(function (unit) {
              var option = document.createElement("option");
              option.value = unit.code + " " + unit.name;
              list.appendChild(option);
            });
          })
          .catch(function () { /* the field still works by code */ });
      }, 250);
    });
  });
})();
