// hubbub items: every item's actions (reply, repost, like, bookmark, quote, add to a person,
// conversation, open, copy), drawn from the page's one copy of them (<template id="item-acts">,
// deck_ui.acts_template) and handled here by one listener each, wherever items are (the deck,
// a column's page, a conversation, a post's replies).
// An item's HTML carries only their state: data-n="<replies> <reposts> <likes>" and
// data-on="repost like bookmark". Without JavaScript the item's time leads to its own page,
// where the actions are forms (timeline/_actions.html).
"use strict";

(() => {
  const template = document.getElementById("item-acts");
  const NOUNS = { reply: "replies", repost: "reposts", like: "likes" };
  let named = 0;

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (_) {
      return "";
    }
  }

  function itemOf(el) {
    return el instanceof Element ? el.closest(".item[data-item]") : null;
  }

  // The controls of an item that the hub drew (never anything inside a post's own HTML).
  function control(event, selector) {
    const el = event.target instanceof Element ? event.target.closest(selector) : null;
    return el && el.closest(".item-actions") && itemOf(el) ? el : null;
  }

  // Actions a place does not offer: a conversation's posts have no Conversation action, an item
  // without an address on its network nothing to open or copy.
  function prune(item, bar) {
    if (item.closest(".conversation")) bar.querySelector("[data-act=conversation]")?.remove();
    // A direct message or a followers-only post: not to be reposted or quoted (item-private).
    if (item.dataset.private) {
      for (const el of bar.querySelectorAll("[data-act=repost], [data-act=quote]")) el.remove();
    }
    if (!item.dataset.url) {
      for (const el of bar.querySelectorAll("[data-act=open], [data-act=copy]")) el.remove();
    }
    // Its author already belongs to one of the person's People: nothing to add (data-in-person).
    if (item.hasAttribute("data-in-person")) bar.querySelector("[data-act=person]")?.remove();
  }

  function drawActions(item) {
    if (!template || item.classList.contains("item-notice")) return;
    const main = item.querySelector(":scope > .item-main");
    if (!main || main.querySelector(":scope > .item-actions")) return;
    const head = main.querySelector(":scope > .item-head");
    if (head && !item.hasAttribute("aria-labelledby")) {
      // The article is named by its head (who, where, when).
      head.id = head.id || `h${++named}-${item.dataset.item}`;
      item.setAttribute("aria-labelledby", head.id);
    }
    const handle = head?.querySelector(".item-author > small")?.textContent || "";
    // Replacements by function: a string would read "$&", "$`" and "$'" in a handle or an
    // address as patterns (pasting the template's own markup into the item).
    const id = item.dataset.item;
    const who = escapeHtml(handle);
    const where = escapeHtml(item.dataset.url || "");
    const html = template.innerHTML
      .replaceAll(template.dataset.id, () => id)
      .replaceAll(template.dataset.handle, () => who)
      .replaceAll(template.dataset.url, () => where);
    const box = document.createElement("template");
    box.innerHTML = html;
    const bar = box.content.querySelector(".item-actions");
    if (!bar) return;
    const counts = (item.dataset.n || "").split(" ");
    ["reply", "repost", "like"].forEach((kind, index) => {
      const n = counts[index];
      const el = bar.querySelector(`[data-act=${kind}]`);
      if (!el || !n || n === "-") return;
      const count = document.createElement("span");
      count.className = "act-count";
      count.textContent = n;
      const noun = document.createElement("span");
      noun.className = "visually-hidden";
      noun.textContent = ` ${NOUNS[kind]}`;
      count.appendChild(noun);
      el.appendChild(count);
    });
    for (const kind of (item.dataset.on || "").split(" ").filter(Boolean)) {
      const el = bar.querySelector(`button[data-act=${kind}]`);
      if (!el) continue;
      el.classList.add("is-on");
      el.setAttribute("aria-pressed", "true");
    }
    prune(item, bar);
    main.appendChild(bar);
  }

  function draw(root) {
    if (!(root instanceof Element || root instanceof Document || root instanceof DocumentFragment)) return;
    if (root instanceof Element && root.matches(".item[data-item]")) drawActions(root);
    for (const item of root.querySelectorAll(".item[data-item]")) drawActions(item);
  }

  // --- like, repost, bookmark: the form's answer (its actions, pressed or not, and what the
  // network said) takes the place of the actions, focus staying on the button pressed.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches(".item-actions .act-form")) return;
    const item = itemOf(form);
    const bar = form.closest(".item-actions");
    if (!item || !bar) return;
    event.preventDefault();
    const button = event.submitter;
    const data = new FormData(form);
    if (button && button.name) data.set(button.name, button.value);
    bar.classList.add("htmx-request");
    try {
      const answer = await fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      });
      if (!answer.ok) throw new Error(String(answer.status));
      const box = document.createElement("template");
      box.innerHTML = await answer.text();
      const fresh = box.content.querySelector(".item-actions");
      if (!fresh) throw new Error("no actions");
      prune(item, fresh);
      const slot = bar.querySelector(".conv-slot");
      const keep = fresh.querySelector(".conv-slot");
      if (slot && keep) keep.replaceWith(slot);
      const hadFocus = bar.contains(document.activeElement);
      bar.replaceWith(fresh);
      const again = button && fresh.querySelector(`[data-act="${button.dataset.act}"]`);
      if (again && hadFocus) again.focus();
    } catch (_) {
      bar.classList.remove("htmx-request");
      // The page's way: back here with the network's answer.
      if (button && button.name) {
        const kind = document.createElement("input");
        kind.type = "hidden";
        kind.name = button.name;
        kind.value = button.value;
        form.appendChild(kind);
      }
      form.submit();
    }
  });

  // --- the conversation, opened under the item ---------------------------------------------
  document.addEventListener("click", async (event) => {
    const link = control(event, "a[data-act=conversation]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const slot = link.closest(".item-actions").querySelector(".conv-slot");
    if (!slot) return;
    event.preventDefault();
    link.setAttribute("aria-busy", "true");
    try {
      const answer = await fetch(link.href, { credentials: "same-origin", headers: { "HX-Request": "true" } });
      if (!answer.ok) throw new Error(String(answer.status));
      slot.innerHTML = await answer.text();
      draw(slot);
      if (window.htmx) window.htmx.process(slot);
      document.dispatchEvent(new CustomEvent("hubbub:items", { detail: { root: slot } }));
    } catch (_) {
      window.location.assign(link.href);
    } finally {
      link.removeAttribute("aria-busy");
    }
  });

  // --- open the original, copy its link ------------------------------------------------------
  function openOriginal(item) {
    if (item && item.dataset.url) window.open(item.dataset.url, "_blank", "noopener,noreferrer");
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (_) {
      const area = document.createElement("textarea");
      area.value = text;
      area.className = "visually-hidden";
      area.setAttribute("readonly", "");
      document.body.appendChild(area);
      area.select();
      let done = false;
      try { done = document.execCommand("copy"); } catch (_) { done = false; }
      area.remove();
      return done;
    }
  }

  const toast = window.hubbubToast;  // app.js

  document.addEventListener("click", async (event) => {
    const button = control(event, "button[data-act=copy]");
    if (!button) return;
    const url = itemOf(button).dataset.url || "";
    const ok = await copy(url);
    toast(ok ? "Link copied" : "Could not copy: the link is " + url);
    if (ok) {
      button.classList.add("is-done");
      window.setTimeout(() => button.classList.remove("is-done"), 1500);
    }
  });

  // The time leads to the item's own page without JavaScript; here, as the Open action does, to
  // the original on its network (a plain click: another key or button keeps the link's own way).
  document.addEventListener("click", (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const target = event.target instanceof Element ? event.target : null;
    const time = target && target.closest(".item-head > .item-time");
    const avatar = target && target.closest(".item-avatar");
    const item = itemOf(time || avatar);
    if (!item) return;
    if (time && item.dataset.url) {
      event.preventDefault();
      openOriginal(item);
    } else if (avatar) {
      const author = item.querySelector(".item-head > .item-author[href]");
      if (author) author.click();
    }
  });

  // A time's full date as its tooltip, written when first pointed at.
  const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
  document.addEventListener("pointerover", (event) => {
    const time = event.target instanceof Element ? event.target.closest(".item time[datetime]") : null;
    if (time && !time.title) {
      const when = Date.parse(time.getAttribute("datetime"));
      if (!Number.isNaN(when)) time.title = fullDate.format(new Date(when));
    }
  });

  window.hubbubItems = { draw, openOriginal, toast };
  // A page of older items gets its actions in the task that swapped it in, before it paints.
  document.addEventListener("htmx:afterSwap", (event) => draw(event.detail && event.detail.target));
  document.addEventListener("htmx:load", (event) => draw(event.detail && event.detail.elt));
  draw(document);
})();
