// hubbub deck: live columns, the "N new" bar, read markers, keyboard, drag to reorder.
// Everything here sits on top of pages that work without it (links and forms).
"use strict";

(() => {
  const deck = document.getElementById("deck");
  const addColumnForm = document.querySelector("form[data-add-column]");
  if (addColumnForm) setUpAddColumn(addColumnForm);
  if (!deck) return;

  const columnsBox = document.getElementById("columns");
  const status = document.getElementById("live-status");
  const filterInput = deck.querySelector("[data-deck-filter]");
  const keysDialog = document.getElementById("keys-dialog");
  const AT_TOP = 6; // px: a column scrolled this little is "at the top"

  // What every column has the same (its drag handle, Move left / right, its "N new" bar, its
  // options, the addresses it asks for newer items and marks read at) is one copy a page:
  // deck.html's <template id="column-chrome">, written for a placeholder column. Each column gets
  // its own, with its id in the placeholder's place, before anything looks for them (issue 13:
  // ten columns' copies were 20 KB of the deck's first HTML).
  const chrome = document.getElementById("column-chrome");

  function dress(column) {
    if (!chrome || column.hasAttribute("data-dressed")) return;
    column.setAttribute("data-dressed", "");
    const placeholder = chrome.dataset.pk;
    const id = column.dataset.column;
    const parts = chrome.content.cloneNode(true);
    column.dataset.newerUrl = chrome.dataset.newerUrl.split(placeholder).join(id);
    column.dataset.readUrl = chrome.dataset.readUrl.split(placeholder).join(id);
    for (const el of parts.querySelectorAll("[formaction], [id], [aria-labelledby]")) {
      for (const name of ["formaction", "id", "aria-labelledby"]) {
        const value = el.getAttribute(name);
        if (value) el.setAttribute(name, value.split(placeholder).join(id));
      }
    }
    const width = ["narrow", "wide"].find((w) => column.classList.contains(`col-${w}`)) || "normal";
    for (const button of parts.querySelectorAll("button[name=width]")) {
      button.setAttribute("aria-pressed", String(button.value === width));
    }
    const remove = parts.querySelector("button[data-confirm]");
    if (remove) remove.dataset.confirm = `Remove the column “${titleOf(column)}”?`;
    const title = titleOf(column);
    for (const button of parts.querySelectorAll("button[data-move]")) {
      const label = button.querySelector(".visually-hidden");
      if (label) label.textContent = `Move ${title} ${button.dataset.move}`;
    }
    const tools = column.querySelector(".column-tools");
    const moves = parts.querySelectorAll(".drag-handle, button[data-move]");
    if (tools) tools.prepend(...moves);
    const head = column.querySelector(".column-head");
    const bar = parts.querySelector("[data-new-bar]");
    if (head && bar) head.after(bar);
    const menu = column.querySelector("details[data-column-menu]");
    const body = parts.querySelector(".pop-body");
    if (menu && body) menu.append(body);
    readAllUpTo(column);
  }

  // "Mark all as read" marks up to the newest item the column shows when the menu opens.
  function readAllUpTo(column) {
    const button = column.querySelector("[data-column-menu] [data-read-all]");
    if (!button) return;
    const first = column.querySelector("[data-items] > .item");
    const cursor = first ? cursorOf(first) : "";
    button.value = cursor;
    button.hidden = !cursor;
  }

  for (const column of deck.querySelectorAll(".column[data-column]")) dress(column);
  syncMoveButtons();
  deck.addEventListener("toggle", (event) => {
    const menu = event.target;
    if (menu instanceof HTMLDetailsElement && menu.open && menu.matches("[data-column-menu]")) {
      const column = menu.closest(".column");
      if (column) { dress(column); readAllUpTo(column); }
    }
  }, true);

  // --- small helpers ----------------------------------------------------------------------------

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (_) {
      return "";
    }
  }

  function post(url, data) {
    const body = data instanceof FormData ? data : new FormData();
    if (!(data instanceof FormData)) {
      for (const [key, value] of Object.entries(data || {})) {
        for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
      }
    }
    return fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Deck": "1" },
    });
  }

  // An item's paging cursor, as timeline/cursors.py writes it: microseconds since the epoch
  // (read from its <time datetime>, "2026-12-07T01:49:38.043869Z") and its id.
  function cursorOf(item) {
    if (item.dataset.cursor) return item.dataset.cursor;
    const time = item.querySelector(":scope > .item-main > .item-head time[datetime]");
    const found = time && /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(time.getAttribute("datetime"));
    if (!found) return "";
    const seconds = Date.parse(`${found[1]}Z`) / 1000;
    const micros = Number((found[2] || "").padEnd(6, "0"));
    return `${seconds * 1000000 + micros}.${item.dataset.item}`;
  }

  function columns() {
    return Array.from(deck.querySelectorAll(".column[data-column]"));
  }

  function itemsOf(column, { visibleOnly = true } = {}) {
    const list = column.querySelector("[data-items]");
    if (!list) return [];
    const found = Array.from(list.querySelectorAll(":scope > .item"));
    return visibleOnly ? found.filter((el) => !el.classList.contains("is-filtered-out")) : found;
  }

  // A column's list is a feed (which holds articles only) while it has items; empty, it is a
  // plain box, and the note below it says so (timeline/_column.html).
  function markFeed(list) {
    if (list.querySelector(":scope > .item")) {
      list.setAttribute("role", "feed");
      list.setAttribute("aria-labelledby", list.dataset.labelledby || "");
    } else {
      list.removeAttribute("role");
      list.removeAttribute("aria-labelledby");
    }
  }

  function say(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(() => { status.textContent = text; }, 30);
  }

  const toast = window.hubbubToast;  // app.js

  function titleOf(column) {
    const title = column.querySelector(".column-title");
    return title ? title.textContent.trim() : "column";
  }

  // --- relative times -----------------------------------------------------------------------------

  function relative(ms) {
    const seconds = Math.floor((Date.now() - ms) / 1000);
    if (seconds < 10) return "now";
    if (seconds < 60) return `${seconds}s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
    if (seconds < 7 * 86400) return `${Math.floor(seconds / 86400)}d`;
    return null; // older ones keep the date the server wrote
  }

  function refreshTimes(root) {
    for (const time of root.querySelectorAll("time[data-time], .item time[datetime]")) {
      const text = relative(Number(time.dataset.time) || Date.parse(time.getAttribute("datetime")));
      if (text && time.textContent !== text) time.textContent = text;
    }
  }
  window.setInterval(() => refreshTimes(deck), 30000);

  // --- the read marker ---------------------------------------------------------------------------

  const readQueue = new Map(); // column id -> newest cursor seen
  const seenTimers = new WeakMap();
  let readTimer = 0;

  function cursorNewer(a, b) {
    const [am, ap] = a.split(".").map(Number);
    const [bm, bp] = b.split(".").map(Number);
    return am > bm || (am === bm && ap > bp);
  }

  function noteSeen(item) {
    const column = item.closest(".column");
    if (!column) return;
    item.classList.remove("is-unread");
    const id = column.dataset.column;
    const before = readQueue.get(id);
    const cursor = cursorOf(item);
    if (!before || cursorNewer(cursor, before)) readQueue.set(id, cursor);
    window.clearTimeout(readTimer);
    readTimer = window.setTimeout(flushRead, 1200);
  }

  function flushRead() {
    for (const [id, until] of readQueue) {
      const column = deck.querySelector(`.column[data-column="${id}"]`);
      if (column) post(column.dataset.readUrl, { until }).catch(() => {});
    }
    readQueue.clear();
  }
  window.addEventListener("pagehide", flushRead);

  const seenObserver = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const item = entry.target;
      if (entry.isIntersecting && document.visibilityState === "visible") {
        // Seen when it stays on screen a moment; the highlight then fades.
        seenTimers.set(item, window.setTimeout(() => {
          seenObserver.unobserve(item);
          noteSeen(item);
        }, 1500));
      } else if (seenTimers.has(item)) {
        window.clearTimeout(seenTimers.get(item));
        seenTimers.delete(item);
      }
    }
  }, { threshold: 0.6 }) : null;

  function watchUnread(root) {
    if (!seenObserver) return;
    for (const item of root.querySelectorAll(".item.is-unread")) seenObserver.observe(item);
  }

  // --- filter (/) --------------------------------------------------------------------------------

  function applyFilter(root) {
    const query = filterInput ? filterInput.value.trim().toLowerCase() : "";
    for (const item of root.querySelectorAll(".item")) {
      const hit = !query || item.textContent.toLowerCase().includes(query);
      item.classList.toggle("is-filtered-out", !hit);
    }
  }
  if (filterInput) filterInput.addEventListener("input", () => applyFilter(deck));

  // --- new items: fetched on a live event, held behind the "N new" bar -------------------------

  const inFlight = new Map(); // column id -> {again: bool}
  // Column id -> ids of items a live event named that the column has not asked for yet: one
  // stored after newer ones (a poll after the stream) is older than the column's newest item,
  // so asking by time alone would never bring it.
  const named = new Map();
  const MAX_AMONG = 200;

  function newestCursor(column) {
    // The pending items are newest first in each batch, but a batch of late ones (older than
    // the list's top) may lie in front of a newer batch: every one is looked at.
    let newest = "";
    const first = column.querySelector("[data-items] > .item");
    for (const el of [...column.querySelectorAll("[data-pending] > .item"), first]) {
      const cursor = el ? cursorOf(el) : "";
      if (cursor && (!newest || cursorNewer(cursor, newest))) newest = cursor;
    }
    return newest;
  }

  function atTop(column) {
    const body = column.querySelector("[data-column-body]");
    return !body || body.scrollTop <= AT_TOP;
  }

  function parseItems(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    // (":scope" means nothing on a fragment: walk its children.)
    return Array.from(template.content.children).filter((el) => el.classList.contains("item"));
  }

  async function fetchNewer(column, ids) {
    const id = column.dataset.column;
    if (ids && ids.length) {
      if (!named.has(id)) named.set(id, new Set());
      for (const itemId of ids) named.get(id).add(String(itemId));
    }
    const running = inFlight.get(id);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    inFlight.set(id, state);
    const asked = Array.from(named.get(id) || []);
    named.delete(id);
    try {
      const after = newestCursor(column);
      const url = new URL(column.dataset.newerUrl, window.location.href);
      if (after) url.searchParams.set("after", after);
      const held = heldIds(column);
      const among = asked.filter((itemId) => !held.has(itemId)).slice(0, MAX_AMONG);
      if (after && among.length) url.searchParams.set("among", among.join(","));
      const response = await fetch(url, { credentials: "same-origin", headers: { "X-Deck": "1" } });
      if (!response.ok) return;
      const html = await response.text();
      // What the column holds is read after the last wait: a page swapped in while the body
      // was on its way may hold the same items.
      const known = heldIds(column);
      const fresh = parseItems(html).filter((el) => !known.has(el.dataset.item));
      if (fresh.length) receive(column, fresh);
    } catch (_) {
      // Offline for a moment: the next event or the reconnect catches up; the named items are
      // asked for again then.
      if (asked.length) {
        if (!named.has(id)) named.set(id, new Set());
        for (const itemId of asked) named.get(id).add(itemId);
      }
    } finally {
      inFlight.delete(id);
      if (state.again) fetchNewer(column);
    }
  }

  function heldIds(column) {
    const held = new Set(itemsOf(column, { visibleOnly: false }).map((el) => el.dataset.item));
    for (const el of column.querySelectorAll("[data-pending] > .item")) held.add(el.dataset.item);
    return held;
  }

  // Items shown from the pending bar: those newer than the list's top go on top in one step; one
  // stored late goes where its time puts it among the items shown, or is left to the next page
  // when it is older than all of them and more pages remain (that page brings it).
  function place(column, list, waiting) {
    const first = list.querySelector(":scope > .item");
    const top = first ? cursorOf(first) : "";
    const onTop = [];
    const late = [];
    for (const el of waiting) {
      const cursor = cursorOf(el);
      (!top || !cursor || cursorNewer(cursor, top) ? onTop : late).push(el);
    }
    onTop.sort((a, b) => (cursorNewer(cursorOf(b), cursorOf(a)) ? 1 : -1));
    if (onTop.length) list.prepend(...onTop);
    if (!late.length) return;
    const shown = itemsOf(column, { visibleOnly: false });
    const morePages = Boolean(column.querySelector("[data-more-slot] [data-more]"));
    for (const el of late) {
      const cursor = cursorOf(el);
      const next = shown.find((other) => other !== el && cursorNewer(cursor, cursorOf(other)));
      if (next) next.before(el);
      else if (morePages) el.remove();
      else list.append(el);
    }
  }

  function receive(column, fresh) {
    const pending = column.querySelector("[data-pending]");
    for (const el of fresh) el.classList.add("is-new");
    const holder = document.createElement("div");
    for (const el of fresh) holder.appendChild(el);
    if (window.hubbubItems) window.hubbubItems.draw(holder);
    applyFilter(holder);
    pending.prepend(...fresh);
    if (atTop(column) && !column.contains(document.activeElement?.closest(".item") || null)) {
      reveal(column, { scroll: false });
    } else {
      updateBar(column);
    }
    const count = fresh.length;
    say(`${count} new in ${titleOf(column)}`);
  }

  function updateBar(column) {
    const bar = column.querySelector("[data-new-bar]");
    const count = column.querySelectorAll("[data-pending] > .item").length;
    if (!bar) return;
    bar.hidden = count === 0;
    const label = bar.querySelector("[data-new-count]");
    if (label) label.textContent = count > 99 ? "99+" : String(count);
    bar.setAttribute("aria-label", `Show ${count} new item${count === 1 ? "" : "s"} in ${titleOf(column)}`);
  }

  function reveal(column, { scroll = true } = {}) {
    const pending = column.querySelector("[data-pending]");
    const list = column.querySelector("[data-items]");
    const waiting = Array.from(pending.children);
    if (waiting.length) {
      place(column, list, waiting);
      markFeed(list);
      // An empty column's "nothing here yet" note goes once something arrived.
      for (const note of column.querySelectorAll("[data-more-slot] > .more-empty")) note.remove();
      refreshTimes(list);
      watchUnread(list);
      if (window.htmx) window.htmx.process(list);
    }
    updateBar(column);
    if (scroll) {
      const body = column.querySelector("[data-column-body]");
      if (body) body.scrollTop = 0;
    }
  }

  deck.addEventListener("click", (event) => {
    const bar = event.target instanceof Element && event.target.closest("[data-new-bar]");
    if (bar) reveal(bar.closest(".column"));
  });
  for (const column of columns()) {
    const body = column.querySelector("[data-column-body]");
    if (!body) continue;
    body.addEventListener("scroll", () => {
      if (body.scrollTop <= AT_TOP && column.querySelector("[data-pending] > .item")) reveal(column, { scroll: false });
    }, { passive: true });
  }

  // --- the live connection -----------------------------------------------------------------------

  function columnsForFeeds(feeds) {
    const wanted = new Set(feeds.map(String));
    return columns().filter((column) => (column.dataset.feeds || "").split(" ").some((f) => wanted.has(f)));
  }

  // Items deleted on their network: gone from every column, shown or waiting behind the bar.
  function removeItems(ids) {
    const gone = new Set(ids.map(String));
    if (!gone.size) return;
    const touched = new Set();
    for (const el of deck.querySelectorAll(".item[data-item]")) {
      if (!gone.has(el.dataset.item)) continue;
      const column = el.closest(".column");
      if (el === currentItem || el.contains(document.activeElement)) {
        // The selection moves to a neighbour instead of vanishing with the item.
        const next = el.nextElementSibling || el.previousElementSibling;
        if (next && next.classList.contains("item")) select(next);
        else currentItem = null;
      }
      el.remove();
      if (column) touched.add(column);
    }
    for (const column of touched) {
      updateBar(column);
      const list = column.querySelector("[data-items]");
      const slot = column.querySelector("[data-more-slot]");
      if (list) markFeed(list);
      if (list && slot && !list.querySelector(":scope > .item") && !slot.querySelector(".more")) {
        // Emptied: say so, as the page would (timeline/_more.html).
        const note = document.createElement("div");
        note.className = "more more-empty";
        for (const [cls, text] of [["more-empty-title", "Nothing here yet"],
                                   ["", "New posts appear here as soon as they arrive."]]) {
          const p = document.createElement("p");
          if (cls) p.className = cls;
          p.textContent = text;
          note.appendChild(p);
        }
        slot.appendChild(note);
      }
    }
    if (touched.size) say(`${gone.size === 1 ? "A post was" : "Posts were"} deleted on the network`);
  }

  function catchUpAll() {
    for (const column of columns()) fetchNewer(column);
  }

  async function gotColumns() {
    try {
      const answer = await fetch(window.location.href, { credentials: "same-origin" });
      if (answer.ok && (await answer.text()).includes('class="column col-')) window.location.reload();
    } catch (_) {
      // Offline: the next "columns" event says it again.
    }
  }

  function connect() {
    // An empty deck listens too: the columns of an account connected in another tab arrive.
    if (!("EventSource" in window) || !deck.dataset.eventsUrl) return;
    const source = new EventSource(deck.dataset.eventsUrl);
    source.addEventListener("open", () => {
      deck.classList.add("is-live");
      // Whatever arrived while the page loaded or the connection was down. An empty deck asks
      // whether it got columns meanwhile (an account connected as this page loaded).
      if (columns().length) catchUpAll();
      else gotColumns();
    });
    source.addEventListener("items", (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (_) { return; }
      for (const column of columnsForFeeds(data.feeds || [])) fetchNewer(column, data.items || []);
    });
    source.addEventListener("feed", (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (_) { return; }
      for (const column of columnsForFeeds(data.feeds || [])) {
        if (!itemsOf(column, { visibleOnly: false }).length) fetchNewer(column);
      }
    });
    source.addEventListener("removed", (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (_) { return; }
      removeItems(data.items || []);
    });
    source.addEventListener("columns", (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (_) { return; }
      if (String(data.deck) !== deck.dataset.deck) return;
      // An empty deck has nothing to lose: it shows the new columns at once. One in use keeps
      // its place and says so.
      if (!columns().length) window.location.reload();
      else toast("New columns were added to this deck: reload the page to see them.");
    });
    source.addEventListener("resync", catchUpAll);
    source.addEventListener("error", () => deck.classList.remove("is-live"));
    window.addEventListener("pagehide", () => source.close());
  }

  // --- selection and keyboard --------------------------------------------------------------------

  let currentColumn = null;
  let currentItem = null;

  function focusColumn(column) {
    if (!column) return;
    if (currentColumn && currentColumn !== column) currentColumn.classList.remove("is-focused");
    currentColumn = column;
    column.classList.add("is-focused");
    column.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // On a phone a swipe shows another column (deck_phone.js): it becomes the current one.
  deck.addEventListener("hubbub:column-shown", (event) => {
    const column = event.target instanceof Element && event.target.closest(".column");
    if (!column || column === currentColumn) return;
    if (currentColumn) currentColumn.classList.remove("is-focused");
    currentColumn = column;
    column.classList.add("is-focused");
    if (currentItem && !column.contains(currentItem)) {
      currentItem.classList.remove("is-current");
      currentItem = null;
    }
  });

  function select(item) {
    if (!item) return;
    if (currentItem) currentItem.classList.remove("is-current");
    currentItem = item;
    item.classList.add("is-current");
    focusColumn(item.closest(".column"));
    if (!item.hasAttribute("tabindex")) item.tabIndex = -1; // focusable by script, not by Tab
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
    if (item.classList.contains("is-unread")) noteSeen(item);
  }

  function firstInView(column) {
    const body = column.querySelector("[data-column-body]");
    const items = itemsOf(column);
    if (!body) return items[0];
    const top = body.getBoundingClientRect().top;
    return items.find((el) => el.getBoundingClientRect().bottom > top + 4) || items[0];
  }

  function step(delta) {
    const column = currentColumn || columns()[0];
    if (!column) return;
    const items = itemsOf(column);
    if (!items.length) return focusColumn(column);
    if (!currentItem || !column.contains(currentItem)) return select(firstInView(column));
    const index = items.indexOf(currentItem);
    const next = items[Math.max(0, Math.min(items.length - 1, index + delta))];
    if (next) select(next);
    if (delta > 0 && index >= items.length - 3) {
      const more = column.querySelector(".more-link[hx-get]");
      if (more && window.htmx) window.htmx.trigger(more, "click");
    }
  }

  function switchColumn(delta) {
    const all = columns();
    if (!all.length) return;
    const index = currentColumn ? all.indexOf(currentColumn) : -1;
    const next = all[Math.max(0, Math.min(all.length - 1, index + delta))];
    if (!next) return;
    const first = firstInView(next);
    if (first) select(first);
    else {
      if (currentItem) currentItem.classList.remove("is-current");
      currentItem = null;
      focusColumn(next);
    }
  }

  function actOn(kind) {
    if (!currentItem) return;
    const control = currentItem.querySelector(`[data-act="${kind}"]`);
    if (control) control.click();
  }

  function openOriginal() {
    if (currentItem && currentItem.dataset.url) window.open(currentItem.dataset.url, "_blank", "noopener,noreferrer");
  }

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (keysDialog && keysDialog.open) return; // the dialog handles Esc itself
    const target = event.target;
    if (typing(target)) {
      if (event.key === "Escape" && target === filterInput) {
        filterInput.value = "";
        applyFilter(deck);
        filterInput.blur();
      }
      return;
    }
    if (target instanceof HTMLElement && target.closest("details.pop[open]") && event.key !== "Escape") return;
    const key = event.key;
    const handlers = {
      j: () => step(1),
      ArrowDown: () => step(1),
      k: () => step(-1),
      ArrowUp: () => step(-1),
      ArrowRight: () => (event.shiftKey ? moveColumn(currentColumn, 1) : switchColumn(1)),
      ArrowLeft: () => (event.shiftKey ? moveColumn(currentColumn, -1) : switchColumn(-1)),
      r: () => actOn("reply"),
      l: () => actOn("like"),
      b: () => actOn("repost"),
      c: () => actOn("copy"),
      o: openOriginal,
      Enter: () => { if (target === currentItem) openOriginal(); else return false; },
      // The composer panel (compose_panel.js) takes the link's click; without it, the page.
      n: () => { const link = deck.querySelector("a[data-compose]"); if (link) link.click(); else window.location.assign(deck.dataset.composeUrl); },
      "/": () => { if (filterInput) { filterInput.focus(); filterInput.select(); } },
      "?": () => { if (keysDialog) keysDialog.showModal(); },
      ".": () => { const column = currentColumn || columns()[0]; if (column) { reveal(column); const first = itemsOf(column)[0]; if (first) select(first); } },
      Escape: () => {
        for (const open of deck.querySelectorAll("details.pop[open]")) open.open = false;
        if (currentItem) currentItem.classList.remove("is-current");
        currentItem = null;
      },
    };
    const handler = handlers[key];
    if (!handler) return;
    // Arrow keys scroll a focused control's own box (a select) or the page: take them only
    // when the deck, not a form control, has them.
    if (handler() === false) return;
    event.preventDefault();
  });

  deck.addEventListener("focusin", (event) => {
    const item = event.target instanceof Element && event.target.closest(".item");
    if (item && item !== currentItem) {
      if (currentItem) currentItem.classList.remove("is-current");
      currentItem = item;
      item.classList.add("is-current");
      focusColumn(item.closest(".column"));
    }
  });
  deck.addEventListener("click", (event) => {
    const item = event.target instanceof Element && event.target.closest(".item");
    if (item && !event.target.closest("a, button, summary, label, input")) select(item);
  });

  for (const button of deck.querySelectorAll("[data-keys-open]")) {
    button.addEventListener("click", () => keysDialog && keysDialog.showModal());
  }

  // --- columns: move, width, drag and drop --------------------------------------------------------

  function saveOrder() {
    const ids = columns().map((c) => c.dataset.column);
    return post(deck.dataset.orderUrl, { columns: ids }).then((r) => {
      if (!r.ok) toast("The new order was not saved; reload the page.");
    }).catch(() => toast("The new order was not saved; reload the page."));
  }

  function syncMoveButtons() {
    const all = columns();
    all.forEach((column, index) => {
      const left = column.querySelector("button[data-move=left]");
      const right = column.querySelector("button[data-move=right]");
      if (left) left.disabled = index === 0;
      if (right) right.disabled = index === all.length - 1;
    });
  }

  function moveColumn(column, delta) {
    if (!column) return;
    const all = columns();
    const index = all.indexOf(column);
    const target = all[index + delta];
    if (!target) return;
    if (delta < 0) target.before(column);
    else target.after(column);
    syncMoveButtons();
    column.scrollIntoView({ block: "nearest", inline: "nearest" });
    saveOrder();
    say(`${titleOf(column)} moved to position ${index + delta + 1} of ${all.length}`);
  }

  // Columns shown for the first time (a newly connected account's, one just added) may sit past
  // the window's edge of a wide deck: the last of them is scrolled into view.
  // Once the page has loaded, when the columns have their final widths.
  const fresh = deck.querySelectorAll(".column[data-fresh]");
  if (fresh.length && fresh.length < columns().length) {
    const last = fresh[fresh.length - 1];
    const show = () => last.scrollIntoView({ behavior: "instant", block: "nearest", inline: "nearest" });
    if (document.readyState === "complete") show();
    else window.addEventListener("load", show, { once: true });
  }

  // A column's buttons post through the deck's one form (#deck-form), each with its formaction.
  deck.addEventListener("submit", (event) => {
    const form = event.target;
    const button = event.submitter;
    if (!(form instanceof HTMLFormElement) || !(button instanceof HTMLButtonElement)) return;
    const column = button.closest(".column");
    if (!column) return;
    if (button.dataset.move) {
      event.preventDefault();
      const side = button.dataset.move;
      moveColumn(column, side === "left" ? -1 : 1);
      const again = column.querySelector(`button[data-move=${side}]`);
      if (again && !again.disabled) again.focus();
      else { const other = column.querySelector("button[data-move]:not(:disabled)"); if (other) other.focus(); }
    } else if (button.name === "width" && button.closest("[data-width]")) {
      event.preventDefault();
      const width = button.value || "normal";
      column.classList.remove("col-narrow", "col-normal", "col-wide");
      column.classList.add(`col-${width}`);
      for (const other of button.closest("[data-width]").querySelectorAll("button[name=width]")) {
        other.setAttribute("aria-pressed", String(other.value === width));
      }
      const data = new FormData(form);
      data.set("width", width);
      post(button.formAction, data).catch(() => toast("The width was not saved."));
      const menu = button.closest("details");
      if (menu) menu.open = false;
    }
  });

  let dragging = null;
  if (columnsBox) {
    columnsBox.addEventListener("dragstart", (event) => {
      const head = event.target instanceof Element && event.target.closest(".column-head");
      if (!head) return;
      dragging = head.closest(".column");
      dragging.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragging.dataset.column);
      try { event.dataTransfer.setDragImage(dragging, 40, 20); } catch (_) { /* older browsers */ }
    });
    const clearMarks = () => {
      for (const c of columns()) c.classList.remove("drop-before", "drop-after");
    };
    columnsBox.addEventListener("dragover", (event) => {
      if (!dragging) return;
      const over = event.target instanceof Element && event.target.closest(".column");
      if (!over || over === dragging) return clearMarks();
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      const box = over.getBoundingClientRect();
      const before = event.clientX < box.left + box.width / 2;
      clearMarks();
      over.classList.add(before ? "drop-before" : "drop-after");
    });
    columnsBox.addEventListener("drop", (event) => {
      if (!dragging) return;
      const over = event.target instanceof Element && event.target.closest(".column");
      event.preventDefault();
      if (over && over !== dragging) {
        if (over.classList.contains("drop-before")) over.before(dragging);
        else over.after(dragging);
        syncMoveButtons();
        saveOrder();
        say(`${titleOf(dragging)} moved`);
      }
      clearMarks();
    });
    columnsBox.addEventListener("dragend", () => {
      if (dragging) dragging.classList.remove("is-dragging");
      dragging = null;
      clearMarks();
    });
  }

  // --- htmx: pages of older items -----------------------------------------------------------------

  // A page that was on its way while the same item arrived live: keep the one already there, so
  // the column never shows it twice (with the same id twice). This runs in the same task as the
  // swap, before the page can paint: htmx:load comes one settle delay later, and until then both
  // copies were on screen.
  document.addEventListener("htmx:afterSwap", (event) => {
    const list = event.detail && event.detail.target;
    if (!(list instanceof Element) || !list.matches("[data-items]") || !deck.contains(list)) return;
    const column = list.closest(".column");
    if (!column) return;
    const shown = new Set();
    for (const el of column.querySelectorAll(".item[data-item]:not(.htmx-added)")) shown.add(el.dataset.item);
    let removed = false;
    for (const el of list.querySelectorAll(":scope > .item.htmx-added[data-item]")) {
      if (shown.has(el.dataset.item)) {
        el.remove();
        removed = true;
      } else {
        shown.add(el.dataset.item);
      }
    }
    if (removed) markFeed(list);
  });

  document.addEventListener("htmx:load", (event) => {
    const root = event.detail && event.detail.elt;
    if (!(root instanceof Element) || !deck.contains(root) || !root.isConnected) return;
    watchUnread(root.parentElement || root);
    applyFilter(root.parentElement || root);
    const list = root.closest("[data-items]");
    if (list) markFeed(list);
  });

  // Close a column's menu when clicking elsewhere.
  document.addEventListener("click", (event) => {
    for (const menu of deck.querySelectorAll("details.pop[open]")) {
      if (!menu.contains(event.target)) menu.open = false;
    }
  });

  watchUnread(deck);
  refreshTimes(deck);
  const first = columns()[0];
  if (first) focusColumn(first);
  connect();
})();

// The add-column form: only the kinds every picked account can show; the parameter box only
// for kinds that need one.
function setUpAddColumn(form) {
  const boxes = Array.from(form.querySelectorAll("input[name=connections]"));
  const tiles = Array.from(form.querySelectorAll(".kind-tile"));
  const paramField = form.querySelector("[data-param-field]");
  const paramLabel = form.querySelector("[data-param-label]");
  const paramHint = form.querySelector("div[data-param-hint]"); // not the kinds' radios

  function update() {
    const picked = boxes.filter((b) => b.checked);
    let allowed = null;
    const why = {}; // kind -> the picked accounts' reasons, each once ("Nostr: ...")
    for (const box of picked) {
      const kinds = new Set((box.dataset.kinds || "").split(" ").filter(Boolean));
      allowed = allowed === null ? kinds : new Set([...allowed].filter((k) => kinds.has(k)));
      let reasons = {};
      try {
        reasons = JSON.parse(box.dataset.reasons || "{}") || {};
      } catch (_) {
        reasons = {};
      }
      for (const [kind, reason] of Object.entries(reasons)) {
        why[kind] = why[kind] || [];
        if (!why[kind].includes(reason)) why[kind].push(reason);
      }
    }
    for (const tile of tiles) {
      const input = tile.querySelector("input");
      const ok = allowed === null || allowed.has(tile.dataset.kind);
      tile.classList.toggle("is-unavailable", !ok);
      input.disabled = !ok;
      if (!ok && input.checked) input.checked = false;
      const note = tile.querySelector("[data-kind-why]");
      if (note) {
        note.textContent = ok ? "" : (why[tile.dataset.kind] || ["not on the picked accounts"]).join("; ");
      }
      tile.title = ok ? "" : note ? note.textContent : "";
    }
    if (!tiles.some((t) => t.querySelector("input").checked)) {
      const firstOk = tiles.find((t) => !t.querySelector("input").disabled);
      if (firstOk) firstOk.querySelector("input").checked = true;
    }
    const chosen = form.querySelector("input[name=kind]:checked");
    const needs = chosen && chosen.dataset.needsParam;
    if (paramField) paramField.classList.toggle("is-idle", !needs);
    if (needs && paramLabel) paramLabel.textContent = needs;
    if (needs && paramHint) paramHint.textContent = chosen.dataset.paramHint || "";
  }
  form.addEventListener("change", update);
  update();
}
