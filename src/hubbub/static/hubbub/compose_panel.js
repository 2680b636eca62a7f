// hubbub: the composer in the deck. "New post", the `n` key, and Reply / Quote on an item open
// a panel beside the columns instead of leaving the deck; "Post now" sends from there with the
// upload's progress shown, and the panel then shows each account's status until all are done.
// Without this script the same links open the compose page. No inline code (the CSP forbids it).
"use strict";

(() => {
  const deck = document.getElementById("deck");
  const aside = document.getElementById("compose-panel");
  if (!deck || !aside) return;
  const body = aside.querySelector("[data-panel-body]");
  const panelUrl = aside.dataset.panelUrl;
  let opener = null; // what had focus before the panel opened: it gets it back on close

  const form = () => body.querySelector("#panel-form");
  const hasWork = () => {
    const f = form();
    if (!f) return false;
    const text = f.querySelector("textarea[name=text]");
    const files = Array.from(f.querySelectorAll("input[type=file]")).some((i) => i.files && i.files.length);
    return Boolean((text && text.value.trim()) || files);
  };

  function show(html) {
    body.innerHTML = html; // its <script> tags do not run: the deck page loads them
    if (window.htmx) window.htmx.process(body);
    showNextSlot();
    document.dispatchEvent(new CustomEvent("hubbub:content", { detail: body }));
  }

  function focusStart() {
    const text = body.querySelector("textarea[name=text]");
    if (text) {
      text.focus();
      // A quote's text is a blank line and the quoted link: the words go before them, never
      // glued onto the link. Anything else carries on where the text ends.
      const at = form() && "quote" in form().dataset ? 0 : text.value.length;
      text.setSelectionRange(at, at);
      return;
    }
    const title = body.querySelector("#panel-title");
    if (title) title.focus();
  }

  function reveal() {
    aside.hidden = false;
    deck.classList.add("has-panel");
    document.body.classList.add("has-compose-panel");
  }

  function close() {
    aside.hidden = true;
    deck.classList.remove("has-panel");
    document.body.classList.remove("has-compose-panel");
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }

  // Keep what was typed before the panel is filled with another post: it becomes a draft.
  async function keepAsDraft() {
    const f = form();
    if (!f || !hasWork()) return null;
    const data = new FormData(f);
    data.delete("action");
    try {
      const response = await fetch(f.dataset.autosave, { method: "POST", body: data, credentials: "same-origin" });
      const answer = await response.json();
      return answer.draft || null;
    } catch (_) {
      return null;
    }
  }

  async function open(query) {
    if (!aside.hidden && !query && form()) { focusStart(); return; }
    opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    reveal();
    let kept = null;
    if (query || !form()) {
      if (form() && query) kept = await keepAsDraft();
      body.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(panelUrl + (query || ""), { credentials: "same-origin", headers: { "HX-Request": "true" } });
        if (response.redirected && /\/login/.test(response.url)) { window.location.assign(response.url); return; }
        show(await response.text());
      } catch (_) {
        show('<p class="error" role="alert">The hub did not answer. Check the connection and try again.</p>');
      } finally {
        body.removeAttribute("aria-busy");
      }
      if (kept) say(`What you were writing was kept as a draft (Posts › Drafts).`);
    }
    focusStart();
  }

  function say(text) {
    const line = body.querySelector("[data-progress-text]");
    const box = body.querySelector("[data-progress]");
    if (line && box) { box.hidden = false; line.textContent = text; }
  }

  // --- opening ------------------------------------------------------------------------------

  deck.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const link = event.target instanceof Element && event.target.closest("a[data-compose], a[data-act=reply], a[data-act=quote]");
    if (!link || aside.contains(link)) return;
    event.preventDefault();
    const url = new URL(link.href, window.location.href);
    open(link.hasAttribute("data-compose") ? "" : url.search);
  });

  aside.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-panel-close]")) { event.preventDefault(); close(); return; }
    if (target.closest("[data-panel-new]")) { event.preventDefault(); open("?new=1"); return; }
    if (target.closest("[data-panel-full]")) { event.preventDefault(); toFullComposer(); }
    // "Split into a thread there" is htmx's: the account's thread comes back into the panel.
  });

  aside.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !(event.target instanceof Element && event.target.closest("details[open]"))) {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form()) {
      event.preventDefault();
      form().requestSubmit(form().querySelector("[data-panel-send]"));
    }
  });

  async function toFullComposer() {
    const f = form();
    const full = f ? f.dataset.fullUrl : "/";
    const draft = await keepAsDraft();
    window.location.assign(draft ? `${full}?draft=${draft}` : full);
  }

  // --- pictures -----------------------------------------------------------------------------

  const isVideo = (file) => /^video\//.test(file.type) || /\.(mp4|m4v|mov|webm)$/i.test(file.name);

  function measure(file) {
    return new Promise((resolve) => {
      if (isVideo(file)) { resolve({ url: "", width: 0, height: 0 }); return; }
      const url = URL.createObjectURL(file);
      const probe = new Image();
      probe.onload = () => resolve({ url, width: probe.naturalWidth, height: probe.naturalHeight });
      probe.onerror = () => resolve({ url, width: 0, height: 0 });
      probe.src = url;
    });
  }

  function clearSlot(slot) {
    const input = slot.querySelector("input[type=file]");
    if (input) input.value = "";
    const preview = slot.querySelector(".slot-preview");
    preview.hidden = true;
    preview.removeAttribute("src");
    slot.querySelector("input[data-meta]").value = "";
    slot.querySelector("input[data-keep]").value = "";
    slot.querySelector(".slot-clear").hidden = true;
    slot.classList.remove("has-image", "has-video");
    const video = slot.querySelector(".slot-video");
    if (video) video.hidden = true;
    showNextSlot();
  }

  // One empty slot at a time: the next appears once a file is picked.
  function showNextSlot() {
    const f = form();
    if (!f) return;
    let offered = false;
    for (const slot of f.querySelectorAll(".panel-slots .slot")) {
      const used = slot.classList.contains("has-image");
      slot.hidden = !used && offered;
      if (!used) offered = true;
    }
  }

  aside.addEventListener("change", async (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
    const slot = input.closest(".slot");
    if (!slot) return;
    const file = input.files && input.files[0];
    if (!file) { clearSlot(slot); return; }
    const found = await measure(file);
    const preview = slot.querySelector(".slot-preview");
    if (found.url) { preview.src = found.url; preview.hidden = false; } else { preview.hidden = true; }
    const video = slot.querySelector(".slot-video");
    if (video) {
      video.hidden = !isVideo(file);
      const name = video.querySelector("[data-video-name]");
      if (name) name.textContent = file.name;
    }
    const meta = [file.type || "application/octet-stream", file.size, found.width, found.height];
    if (isVideo(file)) meta.push(0, 0);
    slot.querySelector("input[data-meta]").value = meta.join(";");
    slot.querySelector("input[data-keep]").value = "";
    slot.querySelector(".slot-clear").hidden = false;
    slot.classList.add("has-image");
    showNextSlot();
    const alt = slot.querySelector("textarea");
    if (alt) alt.focus();
    form().dispatchEvent(new CustomEvent("hubbub:media", { bubbles: true }));
  });

  aside.addEventListener("click", (event) => {
    const clear = event.target instanceof Element && event.target.closest(".slot-clear");
    if (!clear) return;
    event.preventDefault();
    clearSlot(clear.closest(".slot"));
    form().dispatchEvent(new CustomEvent("hubbub:media", { bubbles: true }));
  });

  // Room left, in one line beside Post now, so it stays in view while typing (the counters
  // themselves sit below the pictures; they are what a screen reader hears, this is not).
  function tally() {
    const line = body.querySelector("[data-tally]");
    if (!line) return;
    line.textContent = "";
    for (const counter of body.querySelectorAll("#counters .counter")) {
      const count = counter.querySelector(".counter-count");
      if (!count) continue;
      const part = document.createElement("span");
      part.className = counter.classList.contains("is-over") ? "is-over" : "";
      const net = counter.querySelector(".counter-handle");
      part.title = net ? net.title || net.textContent.trim() : "";
      // Whose figure it is: the handle as the counters show it, less a Mastodon server's name
      // (the whole handle is in the title).
      const name = net ? net.textContent.trim().replace(/^(@[^@\s]+)@\S+$/, "$1") : "";
      part.textContent = `${name} ${count.textContent.replace(/\s+/g, "")}`.trim();
      line.append(part);
    }
  }

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (aside.contains(event.target)) { showNextSlot(); tally(); }
  });
  document.addEventListener("hubbub:content", tally);

  // --- sending ------------------------------------------------------------------------------

  const mb = (bytes) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

  function progressRows(f) {
    const list = f.querySelector("[data-progress-files]");
    list.textContent = "";
    const files = [];
    for (const input of f.querySelectorAll("input[type=file]")) {
      const file = input.files && input.files[0];
      if (!file) continue;
      const row = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = `${file.name} (${mb(file.size)})`;
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", `Upload of ${file.name}`);
      row.append(label, bar);
      list.append(row);
      files.push({ size: file.size, bar });
    }
    return files;
  }

  function busy(f, on, label) {
    const button = f.querySelector("[data-panel-send]");
    if (!button) return;
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
    const text = button.querySelector("[data-send-label]");
    if (text) text.textContent = label || "Post now";
  }

  aside.addEventListener("submit", (event) => {
    const f = event.target;
    if (!(f instanceof HTMLFormElement) || f.id !== "panel-form") return;
    event.preventDefault();
    if (f.dataset.sending) return; // one click, one post
    f.dataset.sending = "1";
    const data = new FormData(f);
    data.set("action", "now");
    const files = progressRows(f);
    const box = f.querySelector("[data-progress]");
    const line = f.querySelector("[data-progress-text]");
    box.hidden = false;
    line.textContent = files.length ? "Uploading…" : "Sending…";
    busy(f, true, files.length ? "Uploading…" : "Sending…");
    const total = files.reduce((sum, file) => sum + file.size, 0);

    const request = new XMLHttpRequest();
    // Not f.action: the form has a control named "action", which that property returns.
    request.open("POST", f.getAttribute("action"));
    request.setRequestHeader("HX-Request", "true");
    request.upload.addEventListener("progress", (progress) => {
      if (!progress.lengthComputable || !total) return;
      // Files are most of the body: share what went out among them in order.
      let sent = progress.loaded * (total / progress.total);
      for (const file of files) {
        const part = Math.max(0, Math.min(file.size, sent));
        file.bar.value = Math.round((100 * part) / file.size);
        sent -= file.size;
      }
      const percent = Math.round((100 * progress.loaded) / progress.total);
      line.textContent = percent < 100 ? `Uploading… ${percent}%` : "Sending…";
      busy(f, true, percent < 100 ? `Uploading ${percent}%` : "Sending…");
    });
    const failed = (why) => {
      delete f.dataset.sending;
      busy(f, false);
      line.textContent = `Not sent: ${why} Nothing was lost: try again.`;
      line.setAttribute("role", "alert");
    };
    request.addEventListener("load", () => {
      const status = request.status;
      if (status === 201 || status === 400) {
        show(request.responseText);
        if (status === 400) {
          showNextSlot();
          const error = body.querySelector(".form-errors, .error");
          if (error) { error.setAttribute("tabindex", "-1"); error.focus(); } else focusStart();
        } else {
          const title = body.querySelector("#panel-title");
          if (title) title.focus();
        }
        return;
      }
      if (request.responseURL && /\/login/.test(request.responseURL)) {
        failed("your session has ended; log in again in another tab, then press Post now.");
      } else if (status === 413) {
        failed("the files are larger than this hub accepts at once.");
      } else if (status === 403) {
        failed("the hub refused the form (the page is stale). Reload the deck.");
      } else {
        failed(`the hub answered ${status}.`);
      }
    });
    request.addEventListener("error", () => failed("the hub could not be reached."));
    request.send(data);
  });

  window.hubbubPanel = { open, close };
})();
