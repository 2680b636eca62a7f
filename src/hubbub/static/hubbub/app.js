// hubbub: the little script pages use on top of working HTML. No inline code (the CSP forbids it).
"use strict";

document.documentElement.classList.add("js");

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

// Forms that ask before they act: <form data-confirm="Really?">.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Compose: preview a picked image and describe it (type;size;width;height) for the live
// counters, which never receive the file itself.
function describeImage(file) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const probe = new Image();
    probe.onload = () => resolve({ url, width: probe.naturalWidth, height: probe.naturalHeight });
    probe.onerror = () => resolve({ url, width: 0, height: 0 });
    probe.src = url;
  });
}

function slotOf(element) {
  return element.closest(".slot");
}

function notifyCounters(element) {
  const form = element.closest("form");
  if (form) form.dispatchEvent(new CustomEvent("hubbub:media", { bubbles: true }));
}

document.addEventListener("change", async (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
  const slot = slotOf(input);
  if (!slot) return;
  const meta = slot.querySelector("input[data-meta]");
  const preview = slot.querySelector(".slot-preview");
  const clear = slot.querySelector(".slot-clear");
  const file = input.files && input.files[0];
  if (!file) {
    clearSlot(slot);
    return;
  }
  const found = await describeImage(file);
  if (preview) {
    preview.src = found.url;
    preview.hidden = false;
  }
  if (meta) meta.value = [file.type || "application/octet-stream", file.size, found.width, found.height].join(";");
  if (clear) clear.hidden = false;
  slot.classList.add("has-image");
  const alt = slot.querySelector("textarea");
  if (alt) alt.focus();
  notifyCounters(slot);
});

function clearSlot(slot) {
  const input = slot.querySelector("input[type=file]");
  const meta = slot.querySelector("input[data-meta]");
  const preview = slot.querySelector(".slot-preview");
  const clear = slot.querySelector(".slot-clear");
  if (input) input.value = "";
  if (meta) meta.value = "";
  if (preview) {
    preview.hidden = true;
    preview.removeAttribute("src");
  }
  if (clear) clear.hidden = true;
  slot.classList.remove("has-image");
  notifyCounters(slot);
}

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest(".slot-clear");
  if (button) clearSlot(slotOf(button));
});

// A stashed image ticked for removal no longer counts.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box instanceof HTMLInputElement && box.name && box.name.startsWith("drop_")) {
    const slot = slotOf(box);
    if (slot) slot.classList.toggle("has-image", !box.checked);
  }
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
