// hubbub planning: drag a scheduled post to another day or hour on the calendar, on top of
// pages that work without it (each post links to its edit page). No inline code: the CSP
// forbids it.
"use strict";

(() => {
  const TOAST_MS = 5000;
  let dragged = null;
  let toastTimer = 0;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (_) {
      return "";
    }
  }

  function toast(message, isError, link) {
    const box = document.querySelector(".pl-toast");
    if (!box) return;
    box.textContent = message;
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      box.append(" ", a);
    }
    box.classList.toggle("is-error", Boolean(isError));
    box.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(() => { box.hidden = true; }, TOAST_MS);
  }

  // The week opens at 07:00, or earlier when a post is earlier.
  function scrollWeek(keep) {
    const body = document.querySelector(".pl-week-body[data-scroll-hour]");
    if (!body) return;
    if (typeof keep === "number") {
      body.scrollTop = keep;
      return;
    }
    const hour = document.getElementById("h" + body.dataset.scrollHour);
    const first = body.querySelector(".pl-cell:not(.is-past) .pl-event") || body.querySelector(".pl-event");
    let top = hour ? hour.offsetTop : 0;
    if (first) {
      const at = first.closest(".pl-cell").offsetTop;
      // Earlier than 07:00, or out of sight below it: start the view an hour above it.
      if (at < top || at > top + body.clientHeight - 90) top = Math.max(0, at - 60);
    }
    body.scrollTop = Math.max(0, top - 14);
  }

  function clearDropMarks() {
    for (const cell of document.querySelectorAll(".is-drop")) cell.classList.remove("is-drop");
  }

  function dropTarget(event) {
    return event.target instanceof Element ? event.target.closest("[data-drop-day]") : null;
  }

  function pad(value) {
    return String(value).padStart(2, "0");
  }

  // Reload the calendar's grid from the server, so what is shown is what was saved.
  async function refresh() {
    const body = document.querySelector(".pl-week-body");
    const keep = body ? body.scrollTop : null;
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById("pl-calendar");
    const current = document.getElementById("pl-calendar");
    if (fresh && current) {
      current.replaceWith(document.importNode(fresh, true));
      scrollWeek(keep === null ? undefined : keep);
    }
  }

  // A week's hour keeps the post's minutes; a month's day keeps its whole time.
  function timeIn(post, target) {
    return target.dataset.dropHour !== undefined
      ? pad(target.dataset.dropHour) + ":" + post.dataset.minute
      : post.dataset.time;
  }

  function place(post, target) {
    target.insertBefore(post, target.querySelector(".pl-more"));
  }

  async function move(post, target, from) {
    const calendar = document.getElementById("pl-calendar");
    if (!calendar) return null;
    const day = target.dataset.dropDay;
    const at = timeIn(post, target);
    const home = from || { parent: post.parentElement, next: post.nextSibling };
    if (post.parentElement !== target) place(post, target);
    post.classList.add("is-saving");
    const form = new FormData();
    form.append("post", post.dataset.post);
    form.append("day", day);
    form.append("at", at);
    let answer = { ok: false, message: "" };
    try {
      const response = await fetch(calendar.dataset.moveUrl, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      answer = await response.json();
    } catch (_) {
      answer = { ok: false, message: "Could not reach the hub; nothing was changed." };
    }
    post.classList.remove("is-saving");
    if (answer.ok) {
      toast(answer.message, false,
        answer.choose_url ? { href: answer.choose_url, text: "Pick the other" } : null);
      await refresh();
    } else {
      home.parent.insertBefore(post, home.next);
      toast(answer.message || "It could not be moved.", true);
    }
    return answer;
  }

  document.addEventListener("dragstart", (event) => {
    const post = event.target instanceof Element ? event.target.closest(".pl-event.is-draggable") : null;
    if (!post) return;
    dragged = post;
    post.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", post.dataset.post);
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    clearDropMarks();
  });

  document.addEventListener("dragover", (event) => {
    const target = dropTarget(event);
    if (!target || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!target.classList.contains("is-drop")) {
      clearDropMarks();
      target.classList.add("is-drop");
    }
  });

  document.addEventListener("dragleave", (event) => {
    const target = dropTarget(event);
    if (target && !target.contains(event.relatedTarget)) target.classList.remove("is-drop");
  });

  document.addEventListener("drop", (event) => {
    const target = dropTarget(event);
    if (!target || !dragged) return;
    event.preventDefault();
    const post = dragged;
    dragged = null;
    clearDropMarks();
    post.classList.remove("is-dragging");
    if (post.parentElement === target) return;
    move(post, target);
  });

  // --- moving a post with the keyboard -----------------------------------------------------
  // Focus a post, press an arrow (or h j k l): it is picked up and goes to the neighbouring
  // day (left/right) or hour (up/down; a week in the month view). Enter saves it through the
  // same URL as a drop, Escape (or leaving it) puts it back. Each step is announced.
  const STEPS = {
    ArrowLeft: [-1, 0], h: [-1, 0], ArrowRight: [1, 0], l: [1, 0],
    ArrowUp: [0, -1], k: [0, -1], ArrowDown: [0, 1], j: [0, 1],
  };
  let carrying = null; // { post, home, cell }
  let relocating = false;

  function announce(message) {
    let region = document.getElementById("pl-announce");
    if (!region) {
      region = document.createElement("p");
      region.id = "pl-announce";
      region.className = "visually-hidden";
      region.setAttribute("aria-live", "assertive");
      document.body.append(region);
    }
    region.textContent = "";
    window.setTimeout(() => { region.textContent = message; }, 30);
  }

  function shiftDay(iso, days) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
  }

  function describe(post, cell) {
    const [y, m, d] = cell.dataset.dropDay.split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB",
      { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
    return day + ", " + timeIn(post, cell);
  }

  function cellAt(day, hour) {
    const selector = hour === undefined
      ? '[data-drop-day="' + day + '"]:not([data-drop-hour])'
      : '[data-drop-day="' + day + '"][data-drop-hour="' + hour + '"]';
    return document.querySelector("#pl-calendar " + selector);
  }

  // The next cell that takes a drop in that direction, stepping over the past and skipped
  // hours; null at the edge of what the page shows.
  function neighbour(cell, dx, dy) {
    const days = [...document.querySelectorAll("#pl-calendar [data-drop-day]")]
      .map((el) => el.dataset.dropDay).sort();
    if (!days.length) return null;
    const first = days[0];
    const last = days[days.length - 1];
    const hourly = cell.dataset.dropHour !== undefined;
    let day = cell.dataset.dropDay;
    let hour = hourly ? Number(cell.dataset.dropHour) : undefined;
    for (;;) {
      if (hourly) {
        day = shiftDay(day, dx);
        hour += dy;
      } else {
        day = shiftDay(day, dx + 7 * dy);
      }
      if (day < first || day > last || (hourly && (hour < 0 || hour > 23))) return null;
      const found = cellAt(day, hour);
      if (found) return found;
    }
  }

  function relocate(post, cell) {
    const link = post.querySelector(".pl-event-link");
    const shown = post.querySelector(".pl-event-top time");
    if (shown) shown.textContent = timeIn(post, cell);
    relocating = true;
    place(post, cell);
    if (link) link.focus();
    relocating = false;
  }

  function pickUp(post) {
    const cell = post.closest("[data-drop-day]");
    if (!cell) return false;
    const shown = post.querySelector(".pl-event-top time");
    carrying = { post, home: { parent: post.parentElement, next: post.nextSibling }, cell,
      shown: shown ? shown.textContent : "" };
    post.classList.add("is-carried");
    return true;
  }

  function putBack(message) {
    if (!carrying) return;
    const { post, home, shown } = carrying;
    carrying = null;
    const label = post.querySelector(".pl-event-top time");
    if (label) label.textContent = shown;
    relocating = true;
    home.parent.insertBefore(post, home.next);
    const link = post.querySelector(".pl-event-link");
    if (link && document.activeElement !== link) link.focus();
    relocating = false;
    post.classList.remove("is-carried");
    clearDropMarks();
    announce(message);
  }

  async function setDown() {
    if (!carrying) return;
    const { post, home, cell } = carrying;
    carrying = null;
    post.classList.remove("is-carried");
    clearDropMarks();
    if (post.parentElement === home.parent) {
      announce("Not moved: it is where it was.");
      return;
    }
    const id = post.dataset.post;
    const answer = await move(post, cell, home);
    announce(answer && answer.ok ? answer.message : (answer && answer.message) || "It could not be moved.");
    const again = document.querySelector('.pl-event[data-post="' + id + '"] .pl-event-link');
    if (again) again.focus();
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    const link = event.target instanceof Element ? event.target.closest(".pl-event.is-draggable .pl-event-link") : null;
    if (!link) return;
    const post = link.closest(".pl-event");
    const step = STEPS[event.key];
    if (carrying && carrying.post === post) {
      if (event.key === "Enter") {
        event.preventDefault();
        setDown();
      } else if (event.key === "Escape") {
        event.preventDefault();
        putBack("Move cancelled; the post stays where it was.");
      }
    }
    if (!step) return;
    event.preventDefault();
    if (!carrying) {
      if (!pickUp(post)) return;
      announce("Moving this post. Arrow keys or h, j, k, l move it; Enter saves; Escape cancels.");
    }
    const next = neighbour(carrying.cell, step[0], step[1]);
    if (!next) {
      announce("It cannot go further here: save it, or move to another " +
        (carrying.cell.dataset.dropHour !== undefined ? "week" : "month") + " with its edit page.");
      return;
    }
    carrying.cell = next;
    clearDropMarks();
    next.classList.add("is-drop");
    relocate(post, next);
    announce(describe(post, next) + ". Enter saves, Escape cancels.");
  });

  document.addEventListener("focusout", (event) => {
    if (!carrying || relocating) return;
    const leaving = event.target instanceof Element ? event.target.closest(".pl-event") : null;
    if (leaving === carrying.post && !carrying.post.contains(event.relatedTarget)) {
      putBack("Move cancelled; the post stays where it was.");
    }
  });

  // Filters apply as soon as they change (a button does it without JS).
  document.addEventListener("change", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form[data-autosubmit]") : null;
    if (form) form.requestSubmit();
  });

  scrollWeek();
})();
