// The coordinator queue: conveniences only; the page works without this file.
(function () {
  "use strict";

  // Leave empty filters out of the address, so that a bookmark reads "?overdue=on&step=…".
  var filters = document.getElementById("queue-filters");
  if (filters) {
    filters.addEventListener("submit", function () {
      filters.querySelectorAll("input, select").forEach(function (control) {
        var empty = control.type === "checkbox" ? !control.checked : control.value === "";
        if (empty && control.name) {
          control.disabled = true;
        }
      });
    });
    // Coming back with the browser's back button must not leave the controls disabled.
    window.addEventListener("pageshow", function () {
      filters.querySelectorAll("input, select").forEach(function (control) {
        control.disabled = false;
      });
    });
  }

  var form = document.getElementById("queue-actions");
  if (!form) {
    return;
  }
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="steps"]'));
  var all = form.querySelector(".queue-select-all");
  var count = form.querySelector(".queue-selected-count");
  var action = form.querySelector('select[name="action"]');

  function refresh() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    if (count) {
      count.textContent = ticked ? "(" + ticked + ")" : "";
    }
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }

  if (all && boxes.length) {
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", refresh); });

  // Show the date or the person only for the actions that need them.
  function showFields() {
    form.querySelectorAll("[data-for-actions]").forEach(function (wrapper) {
      var wanted = wrapper.getAttribute("data-for-actions").split(" ");
      wrapper.hidden = action.value !== "" && wanted.indexOf(action.value) === -1;
    });
  }
  if (action) {
    action.addEventListener("change", showFields);
    showFields();
  }
  refresh();
})();
