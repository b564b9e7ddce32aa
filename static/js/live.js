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
