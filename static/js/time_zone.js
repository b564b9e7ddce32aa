/*
 * Time zones, progressive enhancement only: without this file the server's default stays chosen.
 * - A time zone list marked data-browser-time-zone (a new club) starts on the zone this browser
 *   reports, when the list has it.
 * - A button marked data-fill-now (the meeting form's "Now") fills its date and time field with the
 *   current time in the zone it names, at once; without this file it asks the server for the same.
 * No inline handlers: the Content-Security-Policy forbids them.
 */
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function chooseBrowserZone() {
    var zone = browserZone();
    document.querySelectorAll("select[data-browser-time-zone]").forEach(function (select) {
      var option = Array.prototype.find.call(select.options, function (item) {
        return item.value === zone;
      });
      if (option) {
        select.value = zone;
      }
    });
  }

  // "2025-06-01T19:05" for now in `zone`, the value a datetime-local input takes.
  function wallClock(zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit"
    }).formatToParts(new Date()).forEach(function (part) {
      parts[part.type] = part.value;
    });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-fill-now]") : null;
    var field = button && document.getElementById(button.getAttribute("data-fill-now"));
    if (!field) {
      return;
    }
    var value;
    try {
      value = wallClock(button.getAttribute("data-time-zone"));
    } catch (error) {
      return; // an unknown zone here: let the form ask the server
    }
    event.preventDefault();
    field.value = value;
    field.focus();
  });

  document.addEventListener("DOMContentLoaded", chooseBrowserZone);
})();
