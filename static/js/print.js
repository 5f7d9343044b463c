// The Print button of the summary and the patient sheet. Without JavaScript the button stays
// hidden and the browser's own Print command prints the same page.
(function () {
  "use strict";
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
