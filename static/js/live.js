/*
 * Live meeting screens (member view, presenter, audience screen).
 *
 * The server renders each change once and pushes the HTML of each region down the meeting's stream
 * (htmx's SSE extension swaps it into the element whose sse-swap names the event). Each event's id is
 * the meeting version it shows. This file keeps a screen right around that:
 * - versions: an event older than what the screen shows is dropped; a heartbeat naming a newer version
 *   (a push was lost) or a stream that went quiet makes the screen reconnect, and the stream sends the
 *   whole current state first on every connect; coming back online reconnects at once;
 * - what is the viewer's own, which pushes never carry: their like states, their own answers;
 * - drafts: each belongs to the question it was typed for, survives a reload and the meeting's end;
 * - the countdown ticks here from data-ends-at, and is announced at start, 1 minute, 10 s and zero;
 * - screen readers hear a new question once, new answers batched, connection changes once;
 * - the presenter's keyboard shortcuts and full screen; the audience screen's full screen and paging.
 * Without a stream (a proxy that buffers, a WSGI server) the page polls the stream URL for the state.
 */
(function () {
  "use strict";

  var screen = document.querySelector("[data-live-screen]");
  var unsent = document.querySelector("[data-unsent-drafts]");
  if (!screen) {
    if (unsent) {
      showUnsentDrafts(unsent, unsent.getAttribute("data-meeting"));
    }
    return;
  }

  var meetingId = screen.getAttribute("data-meeting");
  var pollSeconds = Number(screen.getAttribute("data-live-poll")) || 0;
  var heartbeatSeconds = Number(screen.getAttribute("data-live-heartbeat")) || 15;
  // The server's clock as of this page's own request: a phone's clock may be minutes off. Pushed
  // state cannot say what time it is, since it was rendered once, when the meeting last changed.
  var pageServerNow = Date.parse(screen.getAttribute("data-server-now"));
  var clockSkew = pageServerNow ? pageServerNow - pageArrivedAt() : 0;
  var isMember = !screen.hasAttribute("data-presenter") && !screen.hasAttribute("data-audience-screen");
  var shownVersion = 0;
  var source = null;
  var streamOpen = false;
  var streamWasOpen = false;
  var lastMessageAt = Date.now();
  var openedAt = 0;
  var reconnecting = false;
  var ended = false;
  var currentQuestion = null;

  document.querySelectorAll("[data-version]").forEach(function (element) {
    shownVersion = Math.max(shownVersion, Number(element.getAttribute("data-version")) || 0);
  });

  // ---------- Announcements ----------

  var announcer = document.getElementById("live-announcer");
  function announce(text) {
    if (!announcer) {
      return;
    }
    // Cleared first so that the same words said twice are heard twice.
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }

  var pendingAnswers = 0;
  var answersTimer = null;
  function announceNewAnswers(count) {
    pendingAnswers += count;
    if (answersTimer) {
      return;
    }
    answersTimer = window.setTimeout(function () {
      answersTimer = null;
      if (pendingAnswers > 0) {
        announce(pendingAnswers === 1 ? "1 new answer." : pendingAnswers + " new answers.");
      }
      pendingAnswers = 0;
    }, 3000);
  }

  // ---------- The stream ----------

  // The SSE extension gets a stand-in for its EventSource: the same interface, over a real one that
  // this file can replace at once (coming back online, a missed push) without the extension's growing
  // back-off, and without touching the regions the extension listens on.
  function LiveSource(url) {
    this.url = url;
    this.listeners = [];
    this.onopen = null;
    this.onerror = null;
    this.closed = false;
    this.real = null;
    this.connect();
  }
  LiveSource.prototype.connect = function () {
    var self = this;
    if (this.real) {
      this.real.close();
    }
    var real = new EventSource(this.url, { withCredentials: true });
    this.real = real;
    real.onopen = function (event) {
      if (self.real === real && self.onopen) {
        self.onopen(event);
      }
    };
    real.onerror = function (event) {
      if (self.real === real && self.onerror) {
        self.onerror(event);
      }
    };
    this.listeners.forEach(function (entry) {
      real.addEventListener(entry[0], entry[1]);
    });
  };
  LiveSource.prototype.addEventListener = function (type, listener) {
    this.listeners.push([type, listener]);
    this.real.addEventListener(type, listener);
  };
  LiveSource.prototype.removeEventListener = function (type, listener) {
    this.listeners = this.listeners.filter(function (entry) {
      return entry[0] !== type || entry[1] !== listener;
    });
    this.real.removeEventListener(type, listener);
  };
  LiveSource.prototype.close = function () {
    this.closed = true;
    this.real.close();
  };
  Object.defineProperty(LiveSource.prototype, "readyState", {
    get: function () {
      return this.closed ? EventSource.CLOSED : this.real.readyState;
    },
  });

  htmx.createEventSource = function (url) {
    var eventSource = new LiveSource(url);
    source = eventSource;
    lastMessageAt = Date.now();
    eventSource.addEventListener("heartbeat", function (event) {
      lastMessageAt = Date.now();
      if (Number(event.data) > shownVersion) {
        reconnect(); // this screen missed a push: the stream sends the whole state on connect
      }
    });
    // A change this screen shows no differently: it now shows that version all the same.
    eventSource.addEventListener("version", function (event) {
      lastMessageAt = Date.now();
      shownVersion = Math.max(shownVersion, Number(event.data) || 0);
    });
    eventSource.addEventListener("removed", function () {
      eventSource.close();
      window.location.reload(); // the page then says the host removed this person
    });
    eventSource.addEventListener("end", function () {
      eventSource.close();
      meetingEnded();
    });
    return eventSource;
  };

  function reconnect() {
    if (!source || source.closed || ended) {
      return;
    }
    source.connect();
  }

  // A phone that knows it is offline drops its stream (it would only go stale); back online, it
  // connects again at once and the stream sends the whole current state first.
  window.addEventListener("offline", function () {
    if (source && !ended) {
      source.real.close();
      streamOpen = false;
      showConnection("reconnecting");
    }
  });

  function showConnection(state) {
    screen.setAttribute("data-live-state", state);
    var line = document.getElementById("live-connection");
    if (!line) {
      return;
    }
    var wasReconnecting = reconnecting;
    reconnecting = state === "reconnecting";
    line.hidden = !reconnecting;
    line.textContent = reconnecting ? "Reconnecting…" : "";
    if (reconnecting && !wasReconnecting) {
      announce("The connection is lost; trying again.");
    } else if (!reconnecting && wasReconnecting) {
      announce("Connected again.");
    }
  }

  document.body.addEventListener("htmx:sseOpen", function () {
    streamOpen = true;
    streamWasOpen = true;
    openedAt = Date.now();
    lastMessageAt = Date.now();
    showConnection("open");
  });

  document.body.addEventListener("htmx:sseError", function () {
    streamOpen = false;
    if (streamWasOpen && !ended) {
      droppedFor((pollSeconds + 3) * 1000);
    }
  });

  document.body.addEventListener("htmx:sseBeforeMessage", function (event) {
    lastMessageAt = Date.now();
    var version = Number(event.detail && event.detail.lastEventId) || 0;
    if (version && version < shownVersion) {
      event.preventDefault(); // an older state overtaken by a newer one
      return;
    }
    if (event.detail && event.detail.type === "delta") {
      // What changed since one version: it applies only to a screen that shows that version. The
      // stream sends it only then; should this screen be elsewhere, it takes the whole state afresh.
      var base = /^<!--base:(\d+)-->/.exec(event.detail.data || "");
      if (!base || Number(base[1]) !== shownVersion) {
        event.preventDefault();
        reconnect();
        return;
      }
    }
    shownVersion = Math.max(shownVersion, version);
    keepPlace.before();
  });

  document.body.addEventListener("htmx:sseMessage", function (event) {
    keepPlace.after();
    afterUpdate(event.target);
  });

  window.addEventListener("online", reconnect);

  // Say "Reconnecting…" only for a drop that lasts: under WSGI every poll ends its response, and a
  // blip of a second is not worth interrupting anyone for.
  var dropTimer = null;
  function droppedFor(milliseconds) {
    if (dropTimer) {
      return;
    }
    var droppedAt = Date.now();
    dropTimer = window.setTimeout(function () {
      dropTimer = null;
      // Only if the stream has not opened again since (a poll's response ends, then the next opens).
      if (!streamOpen && openedAt < droppedAt && !ended) {
        showConnection("reconnecting");
      }
    }, milliseconds);
  }

  // A stream that went quiet for longer than two heartbeats is dead without having said so.
  window.setInterval(function () {
    if (ended) {
      return;
    }
    var quiet = Date.now() - lastMessageAt;
    if (streamOpen && navigator.onLine !== false && quiet > (heartbeatSeconds * 2 + 5) * 1000) {
      lastMessageAt = Date.now();
      reconnect();
    }
    // No stream that delivers (never opened, or opened but silent behind a buffering proxy): poll.
    var silentSinceOpen = streamOpen && lastMessageAt <= openedAt && Date.now() - openedAt > 5000;
    if (pollSeconds > 0 && (!streamOpen || silentSinceOpen) && Date.now() - lastPollAt > pollSeconds * 1000) {
      poll();
    }
  }, 1000);

  var lastPollAt = Date.now();
  function poll() {
    lastPollAt = Date.now();
    var container = document.querySelector("[sse-connect]");
    if (!container) {
      return;
    }
    var url = container.getAttribute("sse-connect");
    url += (url.indexOf("?") === -1 ? "?" : "&") + "once=1";
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/event-stream" } })
      .then(function (response) {
        if (response.status === 204) {
          meetingEnded();
          return "";
        }
        return response.ok ? response.text() : "";
      })
      .then(applyEvents)
      .catch(function () {});
  }

  function applyEvents(text) {
    (text || "").split("\n\n").forEach(function (block) {
      var name = "message";
      var id = 0;
      var data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) {
          name = line.slice(7);
        } else if (line.indexOf("id: ") === 0) {
          id = Number(line.slice(4));
        } else if (line.indexOf("data: ") === 0) {
          data.push(line.slice(6));
        } else if (line === "data:") {
          data.push("");
        }
      });
      if (name === "end") {
        meetingEnded();
        return;
      }
      var region = document.querySelector('[sse-swap="' + name + '"]');
      if (!region || !data.length || (id && id < shownVersion)) {
        return;
      }
      shownVersion = Math.max(shownVersion, id);
      keepPlace.before();
      htmx.swap(region, data.join("\n"), { swapStyle: "innerHTML" });
      keepPlace.after();
      afterUpdate(region);
    });
  }

  // ---------- Keeping the person's place through an update ----------

  // An update re-renders a region whole and must not move the person looking at it: an open
  // <details> ("End meeting…", "Remove…") stays open, and the control that had the focus gets it
  // back, or else the current question does (never the top of the page).
  // When the control that had the focus is gone (Go, Start timer, Hide, Remove, Delete), the focus
  // goes, first that is there: where the control says (`data-then-focus`: ids), the nearest control
  // that was beside it in its own part of the page (the nearest ancestor with an id), where it says
  // next (`data-else-focus`), the nearest anywhere; scrolled into view. The current question only
  // when nothing is left.
  var FOCUSABLE = "a[id], button[id], summary[id], input[id], textarea[id], select[id], [tabindex][id]";
  function nearest(ids, id) {
    var at = ids.indexOf(id);
    var order = [];
    for (var step = 1; at !== -1 && step < ids.length; step++) {
      if (at + step < ids.length) {
        order.push(ids[at + step]);
      }
      if (at - step >= 0) {
        order.push(ids[at - step]);
      }
    }
    return order;
  }
  function idsIn(root) {
    return Array.prototype.map.call(root.querySelectorAll(FOCUSABLE), function (element) {
      return element.id;
    });
  }
  var keepPlace = {
    openDetails: [],
    focused: null,
    candidates: [],
    before: function () {
      this.openDetails = Array.prototype.map.call(document.querySelectorAll("details[open][id]"), function (details) {
        return details.id;
      });
      this.focused = document.activeElement;
      this.candidates = [];
      var was = this.focused;
      if (was && was !== document.body && was.id) {
        var part = was.parentElement && was.parentElement.closest("[id]");
        var words = function (name) {
          return (was.getAttribute(name) || "").split(" ").filter(Boolean);
        };
        this.candidates = [was.id].concat(
          words("data-then-focus"),
          part ? nearest(idsIn(part), was.id) : [],
          words("data-else-focus"),
          nearest(idsIn(document), was.id)
        );
      }
    },
    after: function () {
      this.openDetails.forEach(function (id) {
        var details = document.getElementById(id);
        if (details && details.tagName === "DETAILS") {
          details.open = true;
        }
      });
      this.openDetails = [];
      var was = this.focused;
      this.focused = null;
      this.lastId = was && was.id;
      var now = document.activeElement;
      if (!was || was === document.body) {
        return;
      }
      if (now && now !== document.body && document.contains(now)) {
        if (now !== was) {
          now.scrollIntoView({ block: "nearest" }); // htmx gave the focus to the new control of that id
        }
        return;
      }
      var candidates = this.candidates;
      for (var index = 0; index < candidates.length; index++) {
        var again = document.getElementById(candidates[index]);
        if (!again || again.disabled || again.closest("[hidden]") || !again.getClientRects().length) {
          continue;
        }
        if (again.id === "current-question") {
          again.setAttribute("tabindex", "-1");
        }
        again.focus();
        if (document.activeElement === again) {
          again.scrollIntoView({ block: "nearest" });
          return;
        }
      }
      var question = document.getElementById("current-question");
      if (question) {
        question.setAttribute("tabindex", "-1");
        question.focus();
      }
    },
  };

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.shouldSwap) {
      keepPlace.before();
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    // htmx wires swapped-in content up only as the swap settles, 20 ms later (pushes through the SSE
    // extension included): Enter pressed in between, as a push lands, would post the form natively
    // and reload the page, the focus back at the top. Wire it up now; settling then skips it.
    htmx.process(event.target);
    keepPlace.after();
    afterUpdate(event.target);
  });
  // htmx hands the focus to the new element with the old one's id as the swap settles, without
  // scrolling: bring it into view (after Hide, the answer's "Show again" is further down).
  document.body.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement;
    if (active && active !== document.body && active.id && active.id === keepPlace.lastId) {
      active.scrollIntoView({ block: "nearest" });
    }
    keepPlace.lastId = null;
  });

  // ---------- After every update ----------

  var lastAnswerCount = null;
  // Pushed forms carry no CSRF token (the same HTML goes to every screen; htmx sends the token from
  // <body>). htmx wires new content up a moment after the swap, and a press in that moment submits the
  // form natively: give each pushed form the token, so that it works as a plain form post then too.
  var csrfToken = "";
  try {
    csrfToken = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    csrfToken = "";
  }
  function armForms() {
    if (!csrfToken) {
      return;
    }
    screen.querySelectorAll('form[method="post"]').forEach(function (form) {
      if (!form.querySelector('input[name="csrfmiddlewaretoken"]')) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "csrfmiddlewaretoken";
        input.value = csrfToken;
        form.appendChild(input);
      }
    });
  }

  function afterUpdate(region) {
    armForms();
    var stage = document.querySelector("[data-live-stage]");
    if (stage) {
      var question = stage.getAttribute("data-question-id");
      var counter = document.querySelector("[data-answer-count]");
      var count = counter ? Number(counter.getAttribute("data-answer-count")) || 0 : 0;
      if (currentQuestion !== null && question !== currentQuestion && question) {
        announce(
          "Question " + stage.getAttribute("data-question-number") + ": " + stage.getAttribute("data-question-text")
        );
        lastAnswerCount = count;
      } else if (lastAnswerCount !== null && count > lastAnswerCount && stage.getAttribute("data-sees-all") === "1") {
        announceNewAnswers(count - lastAnswerCount);
      }
      lastAnswerCount = count;
      currentQuestion = question;
      if (stage.getAttribute("data-state") === "ended") {
        meetingEnded();
      }
    }
    if (isMember) {
      applyOwnState();
      arrangeForms();
    }
    startTimers();
    pageAudienceList();
  }

  // ---------- What is the viewer's own (member view) ----------

  var liked = {};
  document.querySelectorAll('[data-like][aria-pressed="true"]').forEach(function (button) {
    liked[button.getAttribute("data-like")] = true;
  });

  document.body.addEventListener("liked", function (event) {
    liked[String(event.detail.answer)] = event.detail.liked;
    applyOwnState();
  });

  document.body.addEventListener("answerSaved", function (event) {
    clearDraft(String(event.detail.question));
  });

  function ownAnswerIds() {
    var ids = {};
    document.querySelectorAll("[data-own-answer]").forEach(function (item) {
      ids[item.getAttribute("data-own-answer")] = item;
    });
    return ids;
  }

  function applyOwnState() {
    var own = ownAnswerIds();
    var others = 0;
    document.querySelectorAll("[data-answer-id]").forEach(function (item) {
      var id = item.getAttribute("data-answer-id");
      item.hidden = Boolean(own[id]); // the viewer's own are under "Your answers"
      if (!item.hidden) {
        others += 1;
      }
      var likes = item.querySelector("[data-likes-of]");
      var ownLikes = own[id] && own[id].querySelector("[data-own-likes]");
      if (likes && ownLikes) {
        ownLikes.textContent = likes.textContent;
      }
    });
    document.querySelectorAll("[data-like]").forEach(function (button) {
      button.setAttribute("aria-pressed", liked[button.getAttribute("data-like")] ? "true" : "false");
    });
    var noOthers = document.querySelector("[data-no-others]");
    if (noOthers) {
      noOthers.hidden = others > 0;
    }
    // Answers the host hid leave "Your answers" too.
    var answers = document.querySelector("[data-live-answers]");
    var hidden = answers ? (answers.getAttribute("data-hidden-ids") || "").split(" ") : [];
    hidden.forEach(function (id) {
      if (id && own[id]) {
        own[id].remove();
      }
    });
    var stage = document.querySelector("[data-live-stage]");
    if (!stage || stage.getAttribute("data-state") !== "live") {
      return;
    }
    var current = stage.getAttribute("data-question-id");
    var locked = stage.getAttribute("data-locked") === "1";
    var mine = 0;
    document.querySelectorAll("[data-own-answer]").forEach(function (item) {
      var forCurrent = item.getAttribute("data-question-id") === current;
      item.hidden = !forCurrent;
      mine += forCurrent ? 1 : 0;
      var controls = item.querySelector("[data-own-controls]");
      if (controls) {
        controls.hidden = forCurrent && locked;
      }
    });
    var noOwn = document.querySelector("[data-no-own]");
    if (noOwn) {
      noOwn.hidden = mine > 0;
    }
  }

  // ---------- Drafts ----------

  function draftKey(question) {
    return "bookclub:draft:" + meetingId + ":" + question;
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null;
    }
  }

  function saveDraft(form) {
    var store = storage();
    var text = form.querySelector("textarea").value;
    var question = form.getAttribute("data-question-id");
    if (!store || !question) {
      return;
    }
    if (text.trim()) {
      store.setItem(
        draftKey(question),
        JSON.stringify({
          text: text,
          number: form.getAttribute("data-question-number"),
          question: form.getAttribute("data-question-text"),
        })
      );
    } else {
      store.removeItem(draftKey(question));
    }
  }

  function clearDraft(question) {
    var store = storage();
    if (store) {
      store.removeItem(draftKey(question));
    }
  }

  function savedDrafts(meeting) {
    var store = storage();
    var drafts = [];
    if (!store) {
      return drafts;
    }
    var prefix = "bookclub:draft:" + meeting + ":";
    for (var index = 0; index < store.length; index++) {
      var key = store.key(index);
      if (key && key.indexOf(prefix) === 0) {
        try {
          var draft = JSON.parse(store.getItem(key));
          draft.questionId = key.slice(prefix.length);
          draft.key = key;
          drafts.push(draft);
        } catch (error) {
          store.removeItem(key);
        }
      }
    }
    return drafts;
  }

  document.body.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-answer-form]");
    if (form && event.target.tagName === "TEXTAREA") {
      saveDraft(form);
    }
  });

  function newToken() {
    // crypto.randomUUID needs a secure context; a phone on the LAN over plain HTTP has none.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (byte) {
      return (byte + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // Point a form at a question: its fields, ids and labels.
  function aimForm(form, question, number, text, isCurrent) {
    form.setAttribute("data-question-id", question);
    form.setAttribute("data-question-number", number);
    form.setAttribute("data-question-text", text);
    form.querySelector('[name="question"]').value = question;
    var ids = { text: "answer-text-" + question, about: "answer-about-" + question, lock: "answer-lock-" + question };
    var textarea = form.querySelector("textarea");
    textarea.id = ids.text;
    textarea.setAttribute("aria-describedby", ids.about + " " + ids.lock);
    form.querySelector("[data-answer-label]").setAttribute("for", ids.text);
    var about = form.querySelector("[data-answer-about]");
    about.id = ids.about;
    about.textContent = "Answering: " + text;
    form.querySelector("[data-lock-note]").id = ids.lock;
    form.querySelector('button[type="submit"]').id = "answer-submit-" + question;
    labelForm(form, isCurrent);
  }

  function labelForm(form, isCurrent) {
    var number = form.getAttribute("data-question-number");
    var text = form.getAttribute("data-question-text");
    form.querySelector("[data-answer-label]").textContent = isCurrent ? "Your answer" : "Your answer to question " + number;
    form.querySelector("[data-post-for]").textContent = isCurrent ? "" : " to question " + number;
    var note = form.querySelector("[data-draft-note]");
    note.hidden = isCurrent;
    note.textContent = isCurrent
      ? ""
      : "Draft for question " + number + ": “" + text + "”. The host has moved on; “Post answer” still files it under that question.";
    form.classList.toggle("answer-form--draft", !isCurrent);
  }

  function freshForm(template) {
    var form = template.cloneNode(true);
    form.removeAttribute("data-saved");
    form.querySelector("textarea").value = "";
    form.querySelector("textarea").removeAttribute("aria-invalid");
    form.querySelector('[name="client_token"]').value = newToken();
    form.querySelectorAll(".field__error, .answer-form__saved").forEach(function (element) {
      if (element.classList.contains("field__error")) {
        element.remove();
      } else {
        element.textContent = "";
      }
    });
    return form;
  }

  var draftsRestored = false;
  function arrangeForms() {
    var holder = document.querySelector("[data-answer-forms]");
    var stage = document.querySelector("[data-live-stage]");
    if (!holder || !stage || ended) {
      return;
    }
    var current = stage.getAttribute("data-question-id");
    var number = stage.getAttribute("data-question-number");
    var text = stage.getAttribute("data-question-text");
    var locked = stage.getAttribute("data-locked") === "1";
    if (stage.getAttribute("data-state") !== "live" || !current) {
      return;
    }
    var forms = Array.prototype.slice.call(holder.querySelectorAll("[data-answer-form]"));
    var forCurrent = null;
    forms.forEach(function (form) {
      var empty = !form.querySelector("textarea").value.trim();
      if (form.getAttribute("data-question-id") === current) {
        forCurrent = forCurrent || form;
      } else if (empty && !forCurrent && !form.querySelector(".field__error")) {
        // An empty box simply moves on with the meeting.
        aimForm(form, current, number, text, true);
        form.querySelector('[name="client_token"]').value = newToken();
        forCurrent = form;
      }
    });
    forms.forEach(function (form) {
      var empty = !form.querySelector("textarea").value.trim();
      if (form !== forCurrent && form.getAttribute("data-question-id") !== current && empty) {
        if (form.hasAttribute("data-saved") && forCurrent) {
          // A draft for an earlier question was just filed: say so where the person is now.
          forCurrent.querySelector(".answer-form__saved").textContent = "Your answer is saved.";
        }
        form.remove(); // an empty box for a question gone by
      }
    });
    if (!forCurrent && forms.length) {
      forCurrent = freshForm(holder.querySelector("[data-answer-form]"));
      aimForm(forCurrent, current, number, text, true);
      holder.insertBefore(forCurrent, holder.firstChild);
      htmx.process(forCurrent);
    }
    if (!draftsRestored) {
      draftsRestored = true;
      restoreDrafts(holder, forCurrent, current);
    }
    holder.querySelectorAll("[data-answer-form]").forEach(function (form) {
      var isCurrent = form.getAttribute("data-question-id") === current;
      labelForm(form, isCurrent);
      var note = form.querySelector("[data-lock-note]");
      if (isCurrent && locked) {
        note.textContent =
          stage.getAttribute("data-locked-by") === "host"
            ? "Answers are locked. Your text stays here until the host unlocks them."
            : "Time is up, so answers are closed. Your text stays here.";
      } else {
        note.textContent = "";
      }
    });
  }

  function restoreDrafts(holder, forCurrent, current) {
    savedDrafts(meetingId).forEach(function (draft) {
      if (draft.questionId === current && forCurrent) {
        var textarea = forCurrent.querySelector("textarea");
        if (!textarea.value.trim()) {
          textarea.value = draft.text;
        }
        return;
      }
      if (holder.querySelector('[data-answer-form][data-question-id="' + draft.questionId + '"]')) {
        return;
      }
      var form = freshForm(holder.querySelector("[data-answer-form]"));
      aimForm(form, draft.questionId, draft.number || "", draft.question || "", false);
      form.querySelector("textarea").value = draft.text;
      holder.appendChild(form);
      htmx.process(form);
    });
  }

  // ---------- The meeting ends ----------

  function meetingEnded() {
    if (ended) {
      return;
    }
    ended = true;
    if (source) {
      source.close();
    }
    showConnection("ended");
    // Everyone's screen moves to the recap. Whatever was typed and not posted is kept on this device,
    // and the recap shows it with a way to copy it (showUnsentDrafts).
    document.querySelectorAll("[data-answer-form]").forEach(saveDraft);
    announce("The meeting has ended.");
    window.location.assign(window.location.pathname.replace(/(present|screen|live)\/$/, "recap/"));
  }

  // Text typed but never posted, after the meeting ended: shown with a way to copy it, until dismissed.
  function showUnsentDrafts(box, meeting) {
    var drafts = savedDrafts(meeting);
    box.textContent = "";
    if (!drafts.length) {
      return;
    }
    var heading = document.createElement("h2");
    heading.textContent = "Your unsent answers";
    box.appendChild(heading);
    var intro = document.createElement("p");
    intro.textContent = "The meeting ended before these were posted. They are kept on this device only.";
    box.appendChild(intro);
    drafts.forEach(function (draft, index) {
      var item = document.createElement("div");
      item.className = "unsent";
      var label = document.createElement("label");
      label.setAttribute("for", "unsent-" + index);
      label.textContent = "Unsent answer" + (draft.number ? " to question " + draft.number : "") + (draft.question ? ": " + draft.question : "");
      var text = document.createElement("textarea");
      text.id = "unsent-" + index;
      text.readOnly = true;
      text.rows = 4;
      text.value = draft.text;
      var copy = document.createElement("button");
      copy.type = "button";
      copy.className = "button button--secondary button--small";
      copy.textContent = "Copy";
      copy.addEventListener("click", function () {
        text.select();
        var done = function () {
          copy.textContent = "Copied";
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(draft.text).then(done, function () {});
        } else if (document.execCommand && document.execCommand("copy")) {
          done();
        }
      });
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button button--secondary button--small";
      discard.textContent = "Discard";
      discard.addEventListener("click", function () {
        storage().removeItem(draft.key);
        item.remove();
      });
      item.appendChild(label);
      item.appendChild(text);
      item.appendChild(copy);
      item.appendChild(discard);
      box.appendChild(item);
    });
  }

  // ---------- The countdown ----------

  // When the page's first byte arrived, by this device's clock (not when this script ran, which on a
  // slow phone can be a second or more later).
  function pageArrivedAt() {
    var navigation = window.performance && performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    return navigation && navigation.responseStart ? performance.timeOrigin + navigation.responseStart : Date.now();
  }

  var timerInterval = null;
  var timerSpoken = {};
  function startTimers() {
    var timers = document.querySelectorAll("[data-ends-at]");
    if (timerInterval) {
      window.clearInterval(timerInterval);
      timerInterval = null;
    }
    if (!timers.length) {
      timerSpoken = {};
      return;
    }
    var tick = function () {
      var anyRunning = false;
      timers.forEach(function (timer) {
        var endsAt = Date.parse(timer.getAttribute("data-ends-at"));
        var now = Date.now() + clockSkew;
        var left = Math.max(0, Math.ceil((endsAt - now) / 1000));
        var key = timer.getAttribute("data-ends-at");
        var spoken = timerSpoken[key] || (timerSpoken[key] = { start: false, minute: false, ten: false, up: false });
        if (left > 0) {
          anyRunning = true;
          var display = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
          var value = timer.querySelector(".timer__value");
          if (value) {
            value.textContent = display;
          } else {
            timer.textContent = "Time left: ";
            var span = document.createElement("span");
            span.className = "timer__value";
            span.textContent = display;
            timer.appendChild(span);
          }
          timer.classList.remove("timer--up");
          if (!spoken.start) {
            spoken.start = true;
            spoken.minute = left <= 60;
            spoken.ten = left <= 10;
            announce("Countdown: " + display + " left.");
          } else if (!spoken.minute && left <= 60) {
            spoken.minute = true;
            announce("1 minute left.");
          } else if (!spoken.ten && left <= 10) {
            spoken.ten = true;
            announce("10 seconds left.");
          }
        } else {
          timer.textContent = "Time is up";
          timer.classList.add("timer--up");
          if (!spoken.up) {
            spoken.up = true;
            announce(timer.getAttribute("data-close-at-zero") === "1" ? "Time is up. Answers are closed." : "Time is up.");
            if (timer.getAttribute("data-close-at-zero") === "1") {
              var stage = document.querySelector("[data-live-stage]");
              if (stage) {
                stage.setAttribute("data-locked", "1");
              }
              if (isMember) {
                arrangeForms();
                applyOwnState();
              }
            }
          }
        }
      });
      if (!anyRunning && timerInterval) {
        window.clearInterval(timerInterval);
        timerInterval = null;
      }
    };
    tick();
    timerInterval = window.setInterval(tick, 1000);
  }

  // ---------- Presenter: keyboard shortcuts and full screen ----------

  function requestFullscreen(element, refused) {
    if (document.fullscreenElement) {
      document.exitFullscreen();
      return;
    }
    if (!element.requestFullscreen) {
      refused();
      return;
    }
    element.requestFullscreen().catch(refused);
  }

  if (screen.hasAttribute("data-presenter")) {
    var dialog = document.getElementById("shortcuts");
    var helpButton = document.getElementById("show-shortcuts");
    if (helpButton && dialog && dialog.showModal) {
      helpButton.hidden = false;
      helpButton.addEventListener("click", function () {
        dialog.showModal();
      });
    }
    var press = function (id) {
      var button = document.getElementById(id);
      if (button && !button.disabled) {
        if (button.form) {
          htmx.process(button.form); // pushed a moment ago, htmx may not have wired it up yet
        }
        button.click();
        return true;
      }
      return false;
    };
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
        return;
      }
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
        return;
      }
      if (dialog && dialog.open) {
        return;
      }
      var done = false;
      switch (event.key) {
        case "ArrowRight":
          done = press("control-next");
          break;
        case "ArrowLeft":
          done = press("control-previous");
          break;
        case "l":
        case "L":
          done = press("control-lock");
          break;
        case "r":
        case "R":
          done = press("control-reveal");
          break;
        case "t":
        case "T":
          done = press("control-timer-stop") || press("control-timer-question") || press("control-timer-1-min");
          break;
        case "f":
        case "F":
          requestFullscreen(document.documentElement, function () {});
          done = true;
          break;
        case "?":
          if (dialog && dialog.showModal) {
            dialog.showModal();
            done = true;
          }
          break;
      }
      if (done) {
        event.preventDefault();
      }
    });
  }

  // ---------- Audience screen: full screen and paging a long list ----------

  if (screen.hasAttribute("data-audience-screen")) {
    var toggle = document.getElementById("fullscreen-toggle");
    var refusedNote = document.getElementById("fullscreen-refused");
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        requestFullscreen(document.documentElement, function () {
          if (refusedNote) {
            refusedNote.hidden = false;
          }
        });
      });
    }
  }

  var pageTimer = null;
  function pageAudienceList() {
    var list = document.querySelector("[data-audience-list]");
    if (pageTimer) {
      window.clearInterval(pageTimer);
      pageTimer = null;
    }
    if (!list || list.scrollHeight <= list.clientHeight + 4) {
      return;
    }
    // Newest answers are first and always in view; older ones come round a page at a time, slowly.
    var calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    pageTimer = window.setInterval(function () {
      var next = list.scrollTop + list.clientHeight;
      if (next >= list.scrollHeight - 4) {
        next = 0;
      }
      list.scrollTo({ top: next, behavior: calm ? "auto" : "smooth" });
    }, 12000);
  }

  afterUpdate(screen);
})();
