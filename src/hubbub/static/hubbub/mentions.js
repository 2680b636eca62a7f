// Mentions in the composer (the compose page, the deck's panel and the inbox's answer boxes,
// textareas with data-mentions): typing "@" in the post's
// text offers your people, then accounts the deck has seen, in a listbox under the text.
// Up and Down move through it, Enter or Tab picks, Escape closes; a click picks too. A person
// goes in as @[Name], which each network's version writes as their account there. Without
// this script @[Name] typed by hand works the same (publishing/mentions.py).
(function () {
  "use strict";
  if (window.hubbubMentions) { return; }  // htmx may bring the panel in again: one set
  window.hubbubMentions = true;
  // "@" not glued to a word, then what is typed so far: a bare word, or "[" and a name.
  // Letters of any script count ("@Án" asks for Ána).
  var TYPED = /(^|[^\p{L}\p{M}\p{N}_@])@(\[[^\]\n]{0,60}|[\p{L}\p{M}\p{N}_.\-]{0,60})$/u;
  var state = { box: null, list: null, start: -1, active: -1, asked: 0, timer: 0 };

  function isComposer(el) { return el && el.tagName === "TEXTAREA" && el.hasAttribute("data-mentions"); }

  function listFor(box) {
    var id = (box.id || "text") + "-mentions";
    var list = document.getElementById(id);
    if (!list) {
      list = document.createElement("ul");
      list.id = id;
      list.className = "mention-list";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "People and accounts to mention");
      list.hidden = true;
      box.insertAdjacentElement("afterend", list);
      var status = document.createElement("p");
      status.className = "visually-hidden";
      status.id = id + "-status";
      status.setAttribute("role", "status");
      list.insertAdjacentElement("afterend", status);
      box.setAttribute("aria-controls", id);
      list.addEventListener("mousedown", function (event) {
        var option = event.target.closest("[role=option]");
        if (option) { event.preventDefault(); pick(option); }
      });
    }
    return list;
  }

  function options() { return state.list ? Array.prototype.slice.call(state.list.querySelectorAll("[role=option]")) : []; }

  function say(text) {
    var status = state.list && document.getElementById(state.list.id + "-status");
    if (status) { status.textContent = text; }
  }

  function close() {
    if (state.list) { state.list.hidden = true; state.list.innerHTML = ""; }
    if (state.box) { state.box.removeAttribute("aria-activedescendant"); }
    state.active = -1;
    state.start = -1;
  }

  function mark(index) {
    var all = options();
    if (!all.length) { return; }
    state.active = (index + all.length) % all.length;
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === state.active ? "true" : "false");
      option.classList.toggle("is-active", i === state.active);
    });
    var chosen = all[state.active];
    state.box.setAttribute("aria-activedescendant", chosen.id);
    chosen.scrollIntoView({ block: "nearest" });
  }

  function pick(option) {
    var box = state.box;
    if (!box || state.start < 0) { return close(); }
    var insert = option.getAttribute("data-insert") + " ";
    var end = box.selectionStart;
    box.value = box.value.slice(0, state.start) + insert + box.value.slice(end);
    var caret = state.start + insert.length;
    box.setSelectionRange(caret, caret);
    close();
    say("Inserted " + option.querySelector(".mention-label").textContent);
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));  // the counters count it
  }

  function ask(box) {
    var before = box.value.slice(0, box.selectionStart);
    var found = TYPED.exec(before);
    if (!found || box.selectionStart !== box.selectionEnd) { return close(); }
    state.box = box;
    state.list = listFor(box);
    state.start = before.length - found[2].length - 1;
    var asked = ++state.asked;
    var url = box.getAttribute("data-mentions");  // may carry ?network= (the inbox's boxes)
    fetch(url + (url.indexOf("?") < 0 ? "?q=" : "&q=") + encodeURIComponent(found[2]), { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : ""; })
      .then(function (html) {
        if (asked !== state.asked || state.start < 0) { return; }  // typed on since
        state.list.innerHTML = html;
        var count = options().length;
        state.list.hidden = count === 0;
        state.box.removeAttribute("aria-activedescendant");
        state.active = -1;
        if (count) { mark(0); }
        say(count ? count + (count === 1 ? " suggestion" : " suggestions") +
          ": up and down to choose, Enter to insert, Escape to close" : "");
      })
      .catch(function () { close(); });
  }

  document.addEventListener("input", function (event) {
    if (!isComposer(event.target) || !event.isTrusted) { return; }
    var box = event.target;
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { ask(box); }, 120);
  });

  // Capture: the list's keys come before the deck's (Escape there closes the panel).
  document.addEventListener("keydown", function (event) {
    if (!isComposer(event.target) || !state.list || state.list.hidden || event.target !== state.box) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      mark(state.active + (event.key === "ArrowDown" ? 1 : -1));
    } else if ((event.key === "Enter" || event.key === "Tab") && state.active >= 0 && !event.shiftKey) {
      pick(options()[state.active]);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);

  document.addEventListener("focusout", function (event) {
    if (event.target === state.box) { setTimeout(function () { if (document.activeElement !== state.box) { close(); } }, 150); }
  });
})();
