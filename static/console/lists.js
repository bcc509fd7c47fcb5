/* The work lists' bulk selection (issue 20 §3): select all on the page, the count of
   selected rows, and no polling refresh while rows are selected (it would clear them). */
(function () {
  "use strict";
  // The filter bar sends only the filters that are set: the URL stays short and readable.
  var filters = document.getElementById("filter-form");
  if (filters) {
    filters.addEventListener("submit", function () {
      filters.querySelectorAll("select, input").forEach(function (field) {
        if (!field.value || (field.type === "checkbox" && !field.checked)) field.disabled = true;
      });
    });
    // Back to this page from the browser's cache: the fields must work again.
    window.addEventListener("pageshow", function () {
      filters.querySelectorAll("[disabled]").forEach(function (field) { field.disabled = false; });
    });
  }
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var count = document.getElementById("bulk-count");

  function picks() {
    return document.querySelectorAll("input[data-bulk-pick]");
  }
  function selected() {
    return document.querySelectorAll("input[data-bulk-pick]:checked").length;
  }
  function show() {
    var n = selected();
    // The words come from the page, translated there: "N" stands for the number.
    if (count) count.textContent = n ? count.dataset.chosen.replace("N", n) : "";
    var all = document.querySelector("input[data-bulk-all]");
    if (all) all.checked = n > 0 && n === picks().length;
  }
  function setAll(on) {
    picks().forEach(function (box) { box.checked = on; });
    show();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[data-bulk-all]")) setAll(target.checked);
    else if (target.matches("input[data-bulk-pick]")) show();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-bulk-all-button]")) setAll(selected() !== picks().length);
  });
  // The queue polls its rows: skip a refresh while the user is choosing rows.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.matches("[data-queue]") && selected() > 0) event.preventDefault();
  });
  form.addEventListener("submit", function (event) {
    if (!selected()) {
      event.preventDefault();
      if (count) count.textContent = count.dataset.none;
    }
  });
  document.body.addEventListener("htmx:afterSwap", show);
})();
