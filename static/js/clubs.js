/*
 * Club pages, progressive enhancement only: every form and link works without this file.
 * - "Copy" buttons (hidden in the HTML) appear where the clipboard can be written and copy the field
 *   named by data-copy; the field itself stays selectable by hand.
 * - Forms with data-confirm ask first (removing a member, leaving, resetting the invite link).
 * No inline handlers: the Content-Security-Policy forbids them.
 */
(function () {
  "use strict";

  function enhance(root) {
    if (!navigator.clipboard || !window.isSecureContext) {
      return;
    }
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function status(id, text) {
    var region = document.querySelector('[data-copy-status="' + id + '"]');
    if (region) {
      region.textContent = text;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) {
      return;
    }
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    if (!field) {
      return;
    }
    navigator.clipboard.writeText(field.value).then(
      function () {
        status(id, "Copied. Paste the link into a message to your members.");
      },
      function () {
        field.focus();
        field.select();
        status(id, "Copying was blocked. The link is selected: copy it with your keyboard or menu.");
      }
    );
  });

  // Selecting the whole link on focus saves a triple click when copying by hand.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input[readonly][id]")) {
      event.target.select();
    }
  });

  // Capture phase, so a cancelled confirmation also stops htmx, which listens on the form itself.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var question = form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // After a swap htmx focuses the new control that carries autofocus, and the browser scrolls to it.
  // On a slow phone the smooth scroll that the press itself began (to the control pressed) can still
  // be running and win, leaving the focused control half off the screen: look again once scrolling
  // has stopped. Only for a moment after the swap, so a person's own scrolling is left alone.
  function fullyInView(element) {
    var box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }
  document.addEventListener("htmx:afterSettle", function () {
    var focused = document.activeElement;
    if (!focused || focused === document.body) {
      return;
    }
    var bringBack = function () {
      if (document.activeElement === focused && !fullyInView(focused)) {
        focused.scrollIntoView({ block: "center" }); // an edge would leave part of a pixel off
      }
    };
    bringBack();
    window.addEventListener("scrollend", bringBack, { once: true });
    window.setTimeout(function () {
      window.removeEventListener("scrollend", bringBack);
    }, 1500);
  });

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  // Regions that htmx swaps in (the invite link after a reset) bring their own hidden Copy button.
  document.addEventListener("htmx:load", function (event) {
    enhance(event.detail.elt);
  });
})();
