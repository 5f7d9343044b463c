// RIF Work-up: progressive enhancements only; every page works without this file.
(function () {
  "use strict";

  // Live advice: while a findings form is being filled in, show the advice panel as it would be
  // with those entries. The server validates and assesses; nothing is saved until Save.
  var panel = document.getElementById("advice-panel");
  if (!panel || !window.fetch || !window.FormData) {
    return;
  }
  var timer = null;
  var latest = 0;

  function preview(form) {
    var ticket = ++latest;
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
        if (html !== null && ticket === latest) {
          panel.innerHTML = html;
        }
      })
      .catch(function () {
        // The panel keeps the last good advice; the form still saves normally.
      });
  }

  document.querySelectorAll("form[data-preview-url]").forEach(function (form) {
    ["input", "change"].forEach(function (type) {
      form.addEventListener(type, function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          preview(form);
        }, 350);
      });
    });
  });
})();
