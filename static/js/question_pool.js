/*
 * The pool of tonight's questions on the New meeting page, progressive enhancement only: without this
 * file the host orders questions with their number boxes.
 * - Each question gets "Up" / "Down" buttons and can be dragged into place, for pointers and touch; the
 *   buttons stay out of the Tab order (a long pool would bury the rest of the form under them), and
 *   keyboards move a question with Alt+ArrowUp / Alt+ArrowDown in its number box instead.
 * - After any move the number boxes are renumbered 1..n in the new order, so the form posts the order
 *   the host sees.
 * The pool is replaced by htmx when another guide is chosen; the buttons are added again then.
 */
(function () {
  "use strict";

  var dragged = null;

  function renumber(list) {
    list.querySelectorAll("[data-pool-order]").forEach(function (input, index) {
      input.value = String(index + 1);
    });
  }

  function button(label, direction, text) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "button button--secondary button--small";
    element.dataset.poolMove = direction;
    element.tabIndex = -1;
    element.textContent = label;
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = ": " + text;
    element.appendChild(hidden);
    return element;
  }

  function enhance(root) {
    root.querySelectorAll("[data-question-pool]").forEach(function (list) {
      if (list.dataset.enhanced) {
        return;
      }
      list.dataset.enhanced = "true";
      list.querySelectorAll("[data-pool-item]").forEach(function (item) {
        var text = (item.querySelector("label") || item).textContent.trim().slice(0, 40);
        var place = item.querySelector(".question-pool__place");
        place.appendChild(button("Up", "up", text));
        place.appendChild(button("Down", "down", text));
        item.draggable = true;
      });
    });
  }

  function move(item, direction) {
    var list = item.parentElement;
    if (direction === "up" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (direction === "down" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
    renumber(list);
  }

  document.addEventListener("click", function (event) {
    var control = event.target.closest("[data-pool-move]");
    if (control) {
      move(control.closest("[data-pool-item]"), control.dataset.poolMove);
    }
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target.closest ? event.target.closest("[data-pool-order]") : null;
    if (!input || !event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) {
      return;
    }
    event.preventDefault();
    move(input.closest("[data-pool-item]"), event.key === "ArrowUp" ? "up" : "down");
    input.focus();
  });

  document.addEventListener("dragstart", function (event) {
    dragged = event.target.closest ? event.target.closest("[data-pool-item]") : null;
    if (dragged && event.dataTransfer) {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", "");
    }
  });

  document.addEventListener("dragover", function (event) {
    var over = dragged && event.target.closest ? event.target.closest("[data-pool-item]") : null;
    if (!over || over === dragged || over.parentElement !== dragged.parentElement) {
      return;
    }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentElement.insertBefore(dragged, after ? over.nextElementSibling : over);
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      renumber(dragged.parentElement);
      dragged = null;
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    enhance(event.target);
  });
})();
