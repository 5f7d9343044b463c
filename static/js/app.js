// RIF Work-up: progressive enhancements only; every page works without this file.
(function () {
  "use strict";
})();
