// Inbox keys, like the deck's: j/k move between entries, r opens the reply box of the current
// one (Escape leaves it), e marks it done. Without JavaScript every action is a plain form.
// After an action the page comes back where the person was: each redirect names the entry to
// land on (#entry-N: the same one, or the next after done; a refused answer's entry has its
// box open with the words kept), and under htmx, whose swapped page has no #, the form that
// was sent says it (its `next` for done, else its own entry).
(function () {
  "use strict";
  if (window.hubbubInboxKeys) { return; }  // htmx swaps the page in again: one listener
  window.hubbubInboxKeys = true;
  function entries() { return Array.prototype.slice.call(document.querySelectorAll("[data-entry]")); }
  function current() { return document.querySelector("[data-entry].is-current"); }
  function focusEntry(entry) {
    var old = current();
    if (old) { old.classList.remove("is-current"); }
    entry.classList.add("is-current");
    entry.focus({ preventScroll: false });
  }
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName));
  }
  function toEnd(area) {  // a box that starts with @handles: the caret after them
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }
  // Escape leaves a reply box: closed (what is written stays), back on its entry, where the
  // keys work again. The mention list's own Escape comes first (mentions.js stops it).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented || !event.target.closest) { return; }
    var box = event.target.closest("[data-reply]");
    var entry = box && box.closest("[data-entry]");
    if (!box || !box.open || !entry) { return; }
    box.open = false;
    focusEntry(entry);
    event.preventDefault();
  });
  document.addEventListener("toggle", function (event) {
    var box = event.target;
    if (box.open && box.matches && box.matches("[data-reply]")) {
      var area = box.querySelector("textarea");
      if (area && document.activeElement !== area) { toEnd(area); }
    }
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var list = entries();
    if (!list.length) { return; }
    var here = current();
    var index = here ? list.indexOf(here) : -1;
    if (event.key === "j" || event.key === "k") {
      var next = event.key === "j" ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
      focusEntry(list[next]);
      event.preventDefault();
    } else if (event.key === "r" && here) {
      var box = here.querySelector("[data-reply]");
      if (box) { box.open = true; toEnd(box.querySelector("textarea")); event.preventDefault(); }
    } else if (event.key === "e" && here) {
      var done = here.querySelector("[data-done]");
      if (done) { done.click(); event.preventDefault(); }
    }
  });
  // Land on an entry (or the list): in a refused answer's box, with its words, if it has one.
  function land(id) {
    var target = id && document.getElementById(id);
    if (!target) { return; }
    if (target.hasAttribute("data-entry")) {
      var kept = target.querySelector("[data-reply][data-kept] textarea");
      if (kept) { toEnd(kept); } else { focusEntry(target); }
    } else if (target.hasAttribute("data-inbox")) {
      target.focus();
    }
  }
  var pending = "";  // where the page lands after the form htmx is sending
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.closest || !form.closest("[data-inbox]")) { return; }
    var how = event.submitter ? event.submitter.value : "";
    var entry = form.closest("[data-entry]");
    if ((how === "done" || how === "undone") && form.elements.next) {
      pending = form.elements.next.value;
    } else {
      pending = entry ? entry.id : "";
    }
  }, true);
  document.addEventListener("htmx:afterSettle", function (event) {
    // The page the form brought, not a counter that came back meanwhile (its swap is not
    // boosted: landing then would be lost to the page's swap that follows).
    if (!pending || !event.detail || !event.detail.boosted) { return; }
    var id = pending;
    pending = "";
    land(id);
  });
  land(window.location.hash.slice(1));
}());
