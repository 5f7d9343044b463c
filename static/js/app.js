// RIF Work-up: progressive enhancements only; every page works without this file.
(function () {
  "use strict";

  // Live advice: while a findings form (or the planned cycle) is being filled in, show the
  // advice as it would be with those entries. The server validates and assesses; nothing is
  // saved until Save. A form names the element it refreshes in data-preview-target (the
  // advice panel by default).
  if (!window.fetch || !window.FormData) {
    return;
  }
  var timers = {};
  var latest = {};

  function preview(form, target) {
    var key = target.id;
    var ticket = (latest[key] = (latest[key] || 0) + 1);
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    })
      .then(function (response) {
        return response.status === 200 ? response.text() : null;
      })
      .then(function (html) {
        // Answers can arrive out of order: only the newest one is shown.
        if (html !== null && ticket === latest[key]) {
          target.innerHTML = html;
        }
      })
      .catch(function () {
        // The panel keeps the last good advice; the form still saves normally.
      });
  }

  document.querySelectorAll("form[data-preview-url]").forEach(function (form) {
    var target = document.getElementById(
      form.getAttribute("data-preview-target") || "advice-panel"
    );
    if (!target) {
      return;
    }
    ["input", "change"].forEach(function (type) {
      form.addEventListener(type, function () {
        window.clearTimeout(timers[target.id]);
        timers[target.id] = window.setTimeout(function () {
          preview(form, target);
        }, 350);
      });
    });
  });
})();
