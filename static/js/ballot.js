// The ranked ballot, where JavaScript runs: drag a ranked book to a new place and the new order is sent
// at once (the Up / Down / Unrank / Rank next buttons do the same by keyboard, and without JavaScript).
// After htmx swaps the ballot in, the focus goes back to the button that was pressed, or to the one
// that now stands in its place.
(function () {
  "use strict";

  var lastFocusedId = null;

  function ranked(form) {
    return form.querySelector("[data-ballot-ranked]");
  }

  function renumber(list) {
    Array.prototype.forEach.call(list.children, function (item, index) {
      var rank = item.querySelector(".ballot__rank");
      if (rank) rank.textContent = String(index + 1);
    });
  }

  function enhance(form) {
    var list = ranked(form);
    if (!list || list.dataset.enhanced) return;
    list.dataset.enhanced = "true";
    var dragged = null;
    Array.prototype.forEach.call(list.children, function (item) {
      item.setAttribute("draggable", "true");
    });
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".ballot__item");
      if (!dragged) return;
      dragged.classList.add("ballot__item--dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.id || "");
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var over = event.target.closest(".ballot__item");
      if (!over || over === dragged) return;
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
    });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("ballot__item--dragging");
      dragged = null;
      renumber(list);
      var save = form.querySelector("[data-ballot-save]");
      if (save && form.requestSubmit) form.requestSubmit(save);
      else if (save) save.click();
    });
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll("form.ballot").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceAll(document);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var active = document.activeElement;
    lastFocusedId = active && active.closest && active.closest("form.ballot") ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.target.closest ? event.target.closest("form.ballot") || event.target : null;
    if (!form || !form.matches || !form.matches("form.ballot")) return;
    enhance(form);
    if (!lastFocusedId) return;
    var target = document.getElementById(lastFocusedId);
    if (!target) {
      // The pressed button is gone (say "Up" on what is now the first book): stay on that book's row.
      var id = lastFocusedId.replace(/^ballot-[a-z]+-/, "");
      target = form.querySelector('[id^="ballot-"][id$="-' + id + '"]') || form.querySelector("h2");
      if (target && target.tagName === "H2") target.setAttribute("tabindex", "-1");
    }
    if (target) target.focus();
    lastFocusedId = null;
  });
})();
