// hubbub: the little script pages use on top of working HTML. No inline code (the CSP forbids it).
"use strict";

document.documentElement.classList.add("js");

// When htmx swaps in new content it copies some attributes of the old elements onto the new
// ones for a moment (for CSS transitions). Copying a style attribute is refused by the CSP
// (no inline style), and nothing here sets one, so leave it out.
if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];

// A short note at the bottom of the page (role=status, so it is read out), gone after a moment;
// the deck's scripts use it for what a click did.
let toastTimer = 0;
window.hubbubToast = (text) => {
  let el = document.querySelector(".toast");
  if (!el) {
    el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    document.body.appendChild(el);
  }
  el.textContent = text;
  el.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => { el.hidden = true; }, 2200);
};

// The owner form takes its time zone from the browser.
function fillTimezone(root) {
  for (const input of root.querySelectorAll("input[data-browser-timezone]")) {
    if (!input.value) {
      try {
        input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      } catch (_) {
        // Old browser: the server falls back to UTC.
      }
    }
  }
}

// Forms that ask before they act: <form data-confirm="Really?">, or one button of a form
// (<button data-confirm="Really?">, e.g. a deck column's Remove, which posts through #deck-form).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  const question = (button instanceof HTMLElement && button.dataset.confirm)
    || (form instanceof HTMLFormElement && form.dataset.confirm);
  if (question && !window.confirm(question)) event.preventDefault();
});

// Close the user menu when clicking elsewhere.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details.user-menu[open]")) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});

// A session that ended while the page was open: htmx followed the redirect to the login page;
// go there as a whole page instead of pasting it into a corner of this one.
document.addEventListener("htmx:beforeSwap", (event) => {
  const login = document.body.dataset.loginUrl;
  const landed = event.detail.xhr && event.detail.xhr.responseURL;
  if (login && landed && new URL(landed).pathname === login) {
    event.detail.shouldSwap = false;
    window.location.assign(landed);
  }
});

fillTimezone(document);
