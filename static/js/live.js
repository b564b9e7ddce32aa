/*
 * Live meeting screens: keep the page's live regions current.
 *
 * The server pushes a tiny "meeting" event (the meeting's new version) down a Server-Sent Events
 * stream; htmx's SSE extension turns it into a fetch of each live region (hx-trigger="sse:meeting").
 * When no stream is open (a proxy that buffers, a WSGI server, a drop), this file asks the regions to
 * refresh themselves every few seconds instead ("poll"), and says "Reconnecting…" while a stream that
 * was open is down. Nothing here touches what anyone is typing.
 */
(function () {
  "use strict";

  var container = document.querySelector("[data-live-poll]");
  if (!container) {
    return;
  }
  var pollSeconds = Number(container.getAttribute("data-live-poll")) || 0;
  var streamOpen = false;
  var streamWasOpen = false;

  function showConnection(state) {
    // Also on the container, for styles and for tests that wait for the stream.
    container.setAttribute("data-live-state", state);
    var line = document.getElementById("live-connection");
    if (!line) {
      return;
    }
    line.hidden = state !== "reconnecting";
    line.textContent = state === "reconnecting" ? "Reconnecting…" : "";
  }

  function refreshRegions() {
    document.querySelectorAll("[data-live-region]").forEach(function (region) {
      htmx.trigger(region, "poll");
    });
  }

  document.body.addEventListener("htmx:sseOpen", function () {
    var reconnected = streamWasOpen;
    streamOpen = true;
    streamWasOpen = true;
    showConnection("open");
    if (reconnected) {
      // Whatever happened while the stream was down, fetch it now.
      refreshRegions();
    }
  });

  document.body.addEventListener("htmx:sseError", function () {
    streamOpen = false;
    if (streamWasOpen) {
      showConnection("reconnecting");
    }
  });

  if (pollSeconds > 0) {
    window.setInterval(function () {
      if (!streamOpen) {
        refreshRegions();
      }
    }, pollSeconds * 1000);
  }
})();

/*
 * A refresh re-renders a live region whole, and must not move the person looking at it:
 * - a <details> that was open ("End meeting…") would close under the host's hand on every refresh,
 *   e.g. every second of a running countdown, so it is opened again;
 * - the control that had the focus may come back inside that <details>, be gone (the "Go" of the
 *   question now showing) or be disabled ("Next question" at the last one). The browser would drop the
 *   focus to <body> and send a keyboard user back to the top of the page; it goes back to the control,
 *   or else to the current question.
 * htmx itself refocuses an element with the same id, when it can.
 */
(function () {
  "use strict";

  var openDetails = [];
  var focused = null;

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.shouldSwap) {
      return;
    }
    openDetails = Array.prototype.map.call(document.querySelectorAll("details[open][id]"), function (details) {
      return details.id;
    });
    focused = document.activeElement;
  });

  document.body.addEventListener("htmx:afterSwap", function () {
    openDetails.forEach(function (id) {
      var details = document.getElementById(id);
      if (details && details.tagName === "DETAILS") {
        details.open = true;
      }
    });
    openDetails = [];
    var was = focused;
    focused = null;
    var now = document.activeElement;
    if (!was || was === document.body || (now && now !== document.body)) {
      return;
    }
    var again = was.id ? document.getElementById(was.id) : null;
    if (again && !again.disabled) {
      again.focus();
      if (document.activeElement === again) {
        return;
      }
    }
    var question = document.getElementById("current-question");
    if (question) {
      question.setAttribute("tabindex", "-1");
      question.focus();
    }
  });
})();
