/*
 * Status messages that htmx brings into a page are read out by screen readers, once.
 *
 * A live region (role="status", aria-live="polite") is read out when its content changes. Two kinds of
 * swap get that wrong:
 * - a region swapped in whole, its words already in it ("Saved.", "Your answer is saved."), is often not
 *   read out at all: screen readers announce changes inside a region they already know. So a status
 *   region new to the page arrives empty and gets its words a moment later;
 * - a status line put back out of band with the same words (a live meeting's "Question 2 of 8.
 *   3 answers.", at every tick of a running countdown) would be read out again each time. So it is left
 *   as it is. (Messages, which may rightly say the same thing twice, are aria-live, not role="status".)
 * Alerts (role="alert") are read out as they appear and need neither.
 */
(function () {
  "use strict";

  var REGIONS = '[role="status"], [aria-live="polite"]';
  var known = new WeakSet();

  function remember() {
    document.querySelectorAll(REGIONS).forEach(function (region) {
      known.add(region);
    });
  }

  remember();

  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    if (target && fragment && target.getAttribute("role") === "status" &&
        target.textContent === fragment.textContent) {
      event.detail.shouldSwap = false;
    }
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll(REGIONS).forEach(function (region) {
      if (known.has(region)) {
        return;
      }
      known.add(region);
      // An alert inside is read out already; saying its words twice would not help.
      if (!region.textContent.trim() || region.querySelector('[role="alert"]') || region.closest("[hidden]")) {
        return;
      }
      var words = Array.prototype.slice.call(region.childNodes);
      words.forEach(function (node) {
        region.removeChild(node);
      });
      window.setTimeout(function () {
        words.forEach(function (node) {
          region.appendChild(node);
        });
      }, 100);
    });
  });
})();
