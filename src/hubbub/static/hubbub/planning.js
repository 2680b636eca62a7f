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

  async function move(post, target) {
    const calendar = document.getElementById("pl-calendar");
    if (!calendar) return;
    const day = target.dataset.dropDay;
    // A week's hour keeps the post's minutes; a month's day keeps its whole time.
    const at = target.dataset.dropHour !== undefined
      ? pad(target.dataset.dropHour) + ":" + post.dataset.minute
      : post.dataset.time;
    const home = { parent: post.parentElement, next: post.nextSibling };
    const more = target.querySelector(".pl-more");
    target.insertBefore(post, more);
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

  // Filters apply as soon as they change (a button does it without JS).
  document.addEventListener("change", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form[data-autosubmit]") : null;
    if (form) form.requestSubmit();
  });

  scrollWeek();
})();
