// RIF Work-up: progressive enhancements only; every page works without this file.
//
// On the work-up page:
// - tabs on a tablet (Advice / Add-ons / Checklist); without this file the tabs are links and
//   every part is shown in order;
// - saves in place: a form marked data-in-place is posted with fetch, and the server answers with
//   the page's regions (the step, the label, the advice column...) drawn as on a full page; this
//   script swaps them in and moves the focus to the result. It never computes advice. Anything
//   unexpected (an error page, a lost session) falls back to the browser's own form post;
// - live advice: while a findings form is typed in, the advice column shows the advice as it
//   would be with those entries (the server validates and assesses; nothing is saved).
(function () {
  "use strict";

  var layout = document.querySelector(".workup-layout");
  if (!layout) {
    return;
  }
  var tabbed = window.matchMedia("(max-width: 991.98px)");
  var tabLinks = Array.prototype.slice.call(document.querySelectorAll(".workup-tabs [data-tab]"));
  var tabList = document.querySelector(".workup-tabs ul");
  var live = document.getElementById("workup-live");
  var current = null;

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  function panels() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-tab-panel]"));
  }

  function tabOf(element) {
    var panel = element && element.closest ? element.closest("[data-tab-panel]") : null;
    return panel ? panel.getAttribute("data-tab-panel") : null;
  }

  // --- tabs (tablet) ----------------------------------------------------------------------------

  function select(name, focusTab) {
    current = name;
    if (!tabbed.matches || !tabLinks.length) {
      return;
    }
    tabLinks.forEach(function (link) {
      var on = link.getAttribute("data-tab") === name;
      link.setAttribute("aria-selected", on ? "true" : "false");
      link.classList.toggle("active", on);
      link.tabIndex = on ? 0 : -1;
      if (on && focusTab) {
        link.focus();
      }
    });
    panels().forEach(function (panel) {
      panel.hidden = panel.getAttribute("data-tab-panel") !== name;
    });
  }

  function initialTab() {
    // A refused save drawn as a whole page: the tab of the form it refused.
    var errors = byId("page-errors");
    var link = errors ? errors.querySelector("a[href^='#']") : null;
    var target = link ? byId(link.getAttribute("href").slice(1)) : null;
    if (!target && window.location.hash) {
      target = byId(decodeURIComponent(window.location.hash.slice(1)));
    }
    // A findings form opened by a link (?open=...): the checklist, where it is.
    if (!target) {
      target = document.querySelector(".step-form[open]");
    }
    return tabOf(target) || "advice";
  }

  function setUpTabs() {
    if (!tabLinks.length) {
      return;
    }
    if (tabbed.matches) {
      tabList.setAttribute("role", "tablist");
      tabLinks.forEach(function (link) {
        var name = link.getAttribute("data-tab");
        var ids = panels()
          .filter(function (p) {
            return p.getAttribute("data-tab-panel") === name;
          })
          .map(function (p) {
            return p.id;
          });
        link.parentNode.setAttribute("role", "presentation");
        link.setAttribute("role", "tab");
        link.setAttribute("aria-controls", ids.join(" "));
      });
      panels().forEach(function (panel) {
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", "tab-" + panel.getAttribute("data-tab-panel"));
      });
      select(current || initialTab());
    } else {
      // A laptop: the column beside the checklist shows everything; no tabs.
      tabList.removeAttribute("role");
      tabLinks.forEach(function (link) {
        link.parentNode.removeAttribute("role");
        ["role", "aria-selected", "aria-controls", "tabindex"].forEach(function (name) {
          link.removeAttribute(name);
        });
        link.classList.remove("active");
      });
      panels().forEach(function (panel) {
        panel.hidden = false;
        panel.removeAttribute("role");
        panel.removeAttribute("aria-labelledby");
      });
    }
  }

  // Where the tab bar sits when the page is at its top: switching tabs further down the page
  // comes back to there, so the new panel starts under the tabs rather than mid-way.
  function keepTabsInView() {
    var before = byId("save-changes-region");
    if (!before) {
      return;
    }
    var top = before.getBoundingClientRect().bottom + window.scrollY;
    if (window.scrollY > top) {
      window.scrollTo({ top: top, behavior: "instant" });
    }
  }

  tabLinks.forEach(function (link, index) {
    link.addEventListener("click", function (event) {
      if (!tabbed.matches) {
        return; // a laptop: the link jumps to the part, as without this script
      }
      event.preventDefault();
      select(link.getAttribute("data-tab"));
      keepTabsInView();
    });
    link.addEventListener("keydown", function (event) {
      if (!tabbed.matches) {
        return;
      }
      var next = null;
      if (event.key === "ArrowRight") {
        next = tabLinks[(index + 1) % tabLinks.length];
      } else if (event.key === "ArrowLeft") {
        next = tabLinks[(index - 1 + tabLinks.length) % tabLinks.length];
      } else if (event.key === "Home") {
        next = tabLinks[0];
      } else if (event.key === "End") {
        next = tabLinks[tabLinks.length - 1];
      }
      if (next) {
        event.preventDefault();
        select(next.getAttribute("data-tab"), true);
      }
    });
  });

  // A link to something in a hidden tab (an error summary's link to its field, "Back to ...",
  // "Record findings") shows that tab first; the browser then scrolls to it as usual.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (!link || !tabbed.matches || link.hasAttribute("data-tab")) {
      return;
    }
    var target = byId(decodeURIComponent(link.getAttribute("href").slice(1)));
    var name = tabOf(target);
    if (name && name !== current) {
      select(name);
    }
  });

  // --- showing a result where the clinician is looking ------------------------------------------

  function inView(element) {
    var box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }

  function reveal(element) {
    if (element && !inView(element)) {
      element.scrollIntoView({ block: "nearest", behavior: "instant" });
    }
  }

  // The advice column scrolls within itself on a laptop: bring a changed item to its top
  // without moving the page (the checklist stays where the clinician was). Where the column
  // itself runs below the screen (the page is near its top, the column not yet stuck), the page
  // moves up just enough, never so far that ``keep`` (the saved note) leaves the screen.
  function showInColumn(element, keep) {
    var scroller = element && element.closest ? element.closest(".workup-side-scroll") : null;
    if (!scroller || tabbed.matches) {
      return;
    }
    var frame = scroller.getBoundingClientRect();
    var box = element.getBoundingClientRect();
    var bottom = Math.min(frame.bottom, window.innerHeight);
    if (box.top < frame.top || box.bottom > bottom) {
      scroller.scrollTop += box.top - frame.top - 8;
    }
    box = element.getBoundingClientRect();
    if (box.bottom > window.innerHeight) {
      var need = box.bottom - window.innerHeight + 8;
      var room = keep ? keep.getBoundingClientRect().top - 8 : need;
      if (room > 0) {
        window.scrollBy({ top: Math.min(need, room), behavior: "instant" });
      }
    }
  }

  function firstChange(id) {
    var element = byId(id);
    if (element) {
      return element;
    }
    return document.querySelector(".workup-side-scroll .advice-mark");
  }

  function settle(root) {
    var outcome = root.getAttribute("data-outcome");
    var changed = root.getAttribute("data-advice-changed");
    var anchor = byId(root.getAttribute("data-anchor"));
    var focus = byId(root.getAttribute("data-focus"));
    if (outcome === "saved" && changed && tabbed.matches) {
      // On a tablet the advice is a tab of its own: show it, headed by what the save changed.
      var target = firstChange(changed);
      var box = byId("save-changes");
      select(tabOf(target) || "advice");
      // What the save changed at the top of the screen, the first changed item below it
      // (or, where both do not fit, that item at the bottom of the screen). One jump, worked
      // out before it starts (the page scrolls smoothly, so positions move while it does).
      var top = box.getBoundingClientRect().top + window.scrollY - 8;
      if (target) {
        var bottom = target.getBoundingClientRect().bottom + window.scrollY + 8;
        top = Math.max(top, bottom - window.innerHeight);
      }
      window.scrollTo({ top: top, behavior: "instant" });
      box.focus({ preventScroll: true });
      return;
    }
    if (anchor && tabbed.matches) {
      select(tabOf(anchor) || current);
    }
    if (focus) {
      focus.focus({ preventScroll: true });
      reveal(focus);
    }
    if (outcome === "saved" && changed) {
      showInColumn(firstChange(changed), focus);
    }
  }

  // --- regions from the server --------------------------------------------------------------------

  function swap(html) {
    var doc = new window.DOMParser().parseFromString(html, "text/html");
    var root = doc.getElementById("workup-regions");
    if (!root) {
      return null;
    }
    Array.prototype.forEach.call(root.querySelectorAll("[data-region]"), function (source) {
      var target = byId(source.getAttribute("data-region"));
      if (target) {
        target.replaceChildren.apply(target, Array.prototype.slice.call(source.childNodes));
      }
    });
    return root;
  }

  function post(url, form) {
    return window.fetch(url, {
      method: "POST",
      body: new window.FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    });
  }

  // --- live advice while a form is typed in -------------------------------------------------------
  //
  // The server validates and assesses the unsaved entries; nothing is saved until Save. A findings
  // form refreshes the advice column (the answer's regions); a form that names an element in
  // data-preview-target (the planned cycle: its checks) refreshes that element alone.

  var timer = null;
  var latest = 0;
  var targetTimers = {};
  var targetLatest = {};

  function preview(form) {
    var ticket = ++latest;
    post(form.getAttribute("data-preview-url"), form)
      .then(function (response) {
        return response.status === 200 ? response.text() : null;
      })
      .then(function (html) {
        // Answers can arrive out of order: only the newest one is shown.
        if (html !== null && ticket === latest && swap(html) && live) {
          // The words are the page's, in the reader's language (workup_detail.html).
          live.textContent = live.getAttribute("data-preview-message") || "";
        }
      })
      .catch(function () {
        // The column keeps the last good advice; the form still saves normally.
      });
  }

  function previewInto(form, target) {
    var key = target.id;
    var ticket = (targetLatest[key] = (targetLatest[key] || 0) + 1);
    post(form.getAttribute("data-preview-url"), form)
      .then(function (response) {
        return response.status === 200 ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && ticket === targetLatest[key]) {
          target.innerHTML = html;
        }
      })
      .catch(function () {
        // The element keeps its last good content; the form still saves normally.
      });
  }

  function typed(event) {
    var form = event.target.form;
    if (!form || !form.hasAttribute("data-preview-url")) {
      return;
    }
    var target = byId(form.getAttribute("data-preview-target"));
    if (target) {
      window.clearTimeout(targetTimers[target.id]);
      targetTimers[target.id] = window.setTimeout(function () {
        previewInto(form, target);
      }, 350);
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      preview(form);
    }, 350);
  }

  // --- saving in place ----------------------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-in-place") || !window.fetch) {
      return;
    }
    event.preventDefault();
    window.clearTimeout(timer);
    latest++; // a preview still on its way must not cover the saved advice
    var button = form.querySelector("[type=submit]");
    if (button) {
      button.disabled = true;
    }
    form.setAttribute("aria-busy", "true");
    var swapped = false;
    post(form.action, form)
      .then(function (response) {
        if (!response.ok || !response.headers.get("X-Workup-Regions")) {
          throw new Error("no regions");
        }
        return response.text();
      })
      .then(function (html) {
        var root = swap(html);
        if (!root) {
          throw new Error("no regions");
        }
        swapped = true;
        if (root.getAttribute("data-outcome") === "saved" && window.history.replaceState) {
          // The form is closed now: a reload should not open it again.
          var url = layout.getAttribute("data-page-url") + "#" + root.getAttribute("data-anchor");
          window.history.replaceState(null, "", url);
        }
        settle(root);
      })
      .catch(function () {
        if (swapped) {
          return; // the result is on the page; only the focus could not be moved
        }
        // Post the form as the browser would without this script (the server's version check
        // refuses a second write of the same form).
        form.removeAttribute("data-in-place");
        form.removeAttribute("aria-busy");
        if (button) {
          button.disabled = false;
        }
        window.HTMLFormElement.prototype.submit.call(form);
      });
  });

  document.addEventListener("input", typed);
  document.addEventListener("change", typed);

  // --- the page as it loads -------------------------------------------------------------------------

  setUpTabs();
  if (tabbed.addEventListener) {
    tabbed.addEventListener("change", setUpTabs);
  }
  var pageErrors = byId("page-errors");
  if (pageErrors) {
    pageErrors.focus();
  } else if (window.location.hash && tabbed.matches) {
    // Parts above the target were hidden by the tabs: go back to it.
    var target = byId(decodeURIComponent(window.location.hash.slice(1)));
    if (target) {
      target.scrollIntoView({ behavior: "instant" });
    }
  }
  if (byId("save-changes")) {
    showInColumn(document.querySelector(".workup-side-scroll .advice-mark"));
  }
})();
