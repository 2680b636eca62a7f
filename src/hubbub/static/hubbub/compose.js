// hubbub composer: on top of a form that works without it. No inline code (the CSP forbids it).
// - images and videos: previewed and described (type;size;width;height, and a video's
//   ;duration;frame rate) for the counters, then saved with the draft at once, so the form only
//   carries a reference afterwards (and the counters use what the server read from the file)
// - per-account panels: shown for ticked accounts; opening one customises it, prefilled
// - the preview: pictures still in the browser are shown from the picked file
// - the draft: saved 2 s after the last change, and when the page is left
"use strict";

(() => {
  const form = document.getElementById("compose-form");
  if (!form) return;

  const SAVE_AFTER_MS = 2000;
  const autosaveUrl = form.dataset.autosave;
  const draftInput = form.querySelector("input[name=draft]");
  const status = document.getElementById("draft-status");
  const mainText = form.querySelector("textarea[name=text]");
  const mainWarning = form.querySelector("input[name=content_warning]");

  // --- images ------------------------------------------------------------------------------

  function describeImage(file) {
    return new Promise((resolve) => {
      const url = URL.createObjectURL(file);
      const probe = new Image();
      probe.onload = () => resolve({ url, width: probe.naturalWidth, height: probe.naturalHeight });
      probe.onerror = () => resolve({ url, width: 0, height: 0 });
      probe.src = url;
    });
  }

  // A video is not opened here (the page's policy plays no blob: media): it is described by
  // type and size until the draft saves it, then by what the server read from the file.
  const isVideo = (file) => /^video\//.test(file.type) || /\.(mp4|m4v|mov|webm)$/i.test(file.name);

  const slots = () => Array.from(form.querySelectorAll(".slot[data-slot]"));
  const slotOf = (element) => element.closest(".slot");
  const slotImage = (index) => {
    const slot = form.querySelector(`.slot[data-slot="${index}"]`);
    const img = slot && slot.classList.contains("has-image") && slot.querySelector(".slot-preview");
    return img && img.getAttribute("src") ? img.src : "";
  };

  function mediaChanged() {
    syncPanelImages();
    fillPreviewImages();
    form.dispatchEvent(new CustomEvent("hubbub:media", { bubbles: true }));
  }

  form.addEventListener("change", async (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
    const slot = slotOf(input);
    if (!slot) return;
    const file = input.files && input.files[0];
    if (!file) {
      clearSlot(slot);
      return;
    }
    const video = isVideo(file);
    const found = video ? { url: "", width: 0, height: 0 } : await describeImage(file);
    const preview = slot.querySelector(".slot-preview");
    if (found.url) preview.src = found.url;
    else preview.removeAttribute("src");
    preview.hidden = !found.url;
    showVideo(slot, video ? file.name : "", video ? "Video" : "");
    const meta = [file.type || "application/octet-stream", file.size, found.width, found.height];
    if (video) meta.push(0, 0);
    slot.querySelector("input[data-meta]").value = meta.join(";");
    slot.querySelector("input[data-keep]").value = "";
    const drop = slot.querySelector("input[name^=drop_]");
    if (drop) drop.checked = false;
    slot.querySelector(".slot-clear").hidden = false;
    slot.classList.add("has-image");
    const alt = slot.querySelector("textarea");
    if (alt) alt.focus();
    mediaChanged();
    changed(0); // save the picture with the draft now
  });

  // A video has no picture preview here (the page may not play local files): the slot names
  // the file, and what the server read from it (length, size) once the draft is saved.
  function showVideo(slot, name, facts) {
    slot.classList.toggle("has-video", Boolean(name));
    const box = slot.querySelector(".slot-video");
    if (!box) return;
    box.hidden = !name;
    box.querySelector("[data-video-name]").textContent = name;
    box.querySelector("[data-video-facts]").textContent = facts;
  }

  function clearSlot(slot) {
    showVideo(slot, "", "");
    slot.querySelector("input[type=file]").value = "";
    slot.querySelector("input[data-meta]").value = "";
    slot.querySelector("input[data-keep]").value = "";
    const preview = slot.querySelector(".slot-preview");
    preview.hidden = true;
    preview.removeAttribute("src");
    slot.querySelector(".slot-clear").hidden = true;
    slot.classList.remove("has-image");
    mediaChanged();
    changed();
  }

  form.addEventListener("click", (event) => {
    const button = event.target instanceof Element && event.target.closest(".slot-clear");
    if (button) clearSlot(slotOf(button));
  });

  // --- per-account panels ------------------------------------------------------------------

  const ticked = () =>
    new Set(Array.from(form.querySelectorAll("input[name=targets]:checked"), (box) => box.value));

  function syncPanels() {
    const on = ticked();
    for (const panel of form.querySelectorAll(".custom[data-target]")) {
      panel.toggleAttribute("data-unticked", !on.has(panel.dataset.target));
    }
    const section = form.querySelector(".customs");
    if (section) section.hidden = on.size === 0;
  }

  function syncPanelImages(root = form) {
    for (const label of root.querySelectorAll(".custom-image[data-media-slot]")) {
      const url = slotImage(label.dataset.mediaSlot);
      const slot = form.querySelector(`.slot[data-slot="${label.dataset.mediaSlot}"]`);
      label.hidden = !(slot && slot.classList.contains("has-image")); // a video has no picture
      const img = label.querySelector("img");
      if (url && img.src !== url) img.src = url;
      img.hidden = !url;
      const film = label.querySelector(".custom-video");
      if (film) film.hidden = !(slot && slot.classList.contains("has-video"));
    }
  }

  function prefill(panel) {
    const text = panel.querySelector("[data-custom-text]");
    const warning = panel.querySelector("[data-custom-cw]");
    if (text && mainText) text.value = mainText.value;
    if (warning && mainWarning) warning.value = mainWarning.value;
    for (const box of panel.querySelectorAll(".custom-image input[type=checkbox]")) box.checked = true;
  }

  // Opening an account's panel customises it, starting from the main post.
  document.addEventListener("toggle", (event) => {
    const panel = event.target;
    if (!(panel instanceof HTMLDetailsElement) || !panel.matches(".custom") || !panel.open) return;
    const toggle = panel.querySelector("[data-custom-switch]");
    if (toggle && !toggle.checked) {
      prefill(panel);
      toggle.checked = true;
      panel.classList.add("is-on");
      toggle.dispatchEvent(new Event("change", { bubbles: true }));
      const text = panel.querySelector("[data-custom-text]");
      if (text) text.focus();
    }
  }, true);

  form.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    if (box.name === "targets") syncPanels();
    if (box.matches("[data-custom-switch]")) {
      const panel = box.closest(".custom");
      if (box.checked && !panel.classList.contains("is-on")) prefill(panel);
      panel.classList.toggle("is-on", box.checked);
    }
    if (box.name && box.name.startsWith("drop_")) {
      const slot = slotOf(box);
      if (slot) slot.classList.toggle("has-image", !box.checked);
      mediaChanged();
    }
  });

  // An account follows the main post in every field the person has not changed for it: its
  // panel opens with the words as they are now, and a warning added later reaches it too.
  form.addEventListener("input", (event) => {
    const field = event.target;
    if (field instanceof Element && field.matches("[data-custom-text], [data-custom-cw]")) {
      field.dataset.touched = "1";
      return;
    }
    if (field !== mainText && field !== mainWarning) return;
    for (const panel of form.querySelectorAll(".custom:not(.is-on)")) prefill(panel);
    const own = field === mainText ? "[data-custom-text]" : "[data-custom-cw]";
    for (const input of form.querySelectorAll(`.custom.is-on ${own}:not([data-touched])`)) {
      const thread = input.closest(".custom").classList.contains("is-thread");
      if (!(thread && field === mainText)) input.value = field.value;
    }
  });

  // What differs from the main post when the page (or a panel) arrives was changed on purpose.
  function markTouched(root = form) {
    for (const input of root.querySelectorAll(".custom.is-on [data-custom-text]")) {
      if (mainText && input.value.trim() !== mainText.value.trim()) input.dataset.touched = "1";
    }
    for (const input of root.querySelectorAll(".custom.is-on [data-custom-cw]")) {
      if (mainWarning && input.value.trim() !== mainWarning.value.trim()) input.dataset.touched = "1";
    }
  }

  // --- preview -----------------------------------------------------------------------------

  function fillPreviewImages() {
    for (const img of document.querySelectorAll("#preview img[data-preview-slot]")) {
      const url = slotImage(img.dataset.previewSlot);
      if (url && !img.getAttribute("src")) img.src = url;
    }
  }

  document.body.addEventListener("htmx:afterSettle", (event) => {
    fillPreviewImages();
    const config = event.detail && event.detail.requestConfig;
    if (config && String(config.path).includes("/compose/target/")) {
      // An account's panel came back split, joined or reset: it is part of the draft.
      syncPanels();
      syncPanelImages();
      markTouched();
      changed();
    }
  });
  document.body.addEventListener("htmx:oobAfterSwap", fillPreviewImages);

  // --- the draft ---------------------------------------------------------------------------

  let dirty = false;
  let timer = 0;
  let saving = null; // the request in flight
  let stopped = false; // the draft was sent elsewhere: never save over it
  let submitting = false;

  function payload() {
    const data = new FormData(form);
    data.delete("action");
    for (const input of form.querySelectorAll("input[type=file]")) {
      if (!input.files || !input.files.length) data.delete(input.name);
    }
    return data;
  }

  function say(text, tone) {
    if (!status) return;
    status.querySelector("[data-status-text]").textContent = text;
    status.dataset.tone = text ? tone || "" : "";
  }

  function changed(delay = SAVE_AFTER_MS) {
    if (stopped || submitting) return;
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  async function save() {
    clearTimeout(timer);
    if (!dirty || stopped || !autosaveUrl) return;
    if (saving) {
      await saving.catch(() => {});
      return save();
    }
    dirty = false;
    const sent = new Map(); // file inputs sent with their file, to forget once saved
    for (const input of form.querySelectorAll("input[type=file]")) {
      if (input.files && input.files.length) sent.set(input, input.files[0]);
    }
    say("Saving…", "busy");
    saving = fetch(autosaveUrl, {
      method: "POST",
      body: payload(),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(async (response) => {
      const answer = await response.json().catch(() => ({}));
      if (response.status === 409) {
        stopped = true;
        say(answer.error || "This draft was sent elsewhere.", "bad");
        return;
      }
      if (!response.ok) {
        dirty = true;
        say(answer.error || "Not saved yet.", "bad");
        return;
      }
      if (draftInput && answer.draft) draftInput.value = answer.draft;
      for (const [slot, token] of Object.entries(answer.media || {})) {
        const box = form.querySelector(`.slot[data-slot="${slot}"]`);
        if (!box) continue;
        box.querySelector("input[data-keep]").value = token;
        const meta = (answer.meta || {})[slot];
        if (meta) box.querySelector("input[data-meta]").value = meta;
        const video = (answer.videos || {})[slot];
        if (video) box.querySelector("[data-video-facts]").textContent = video;
        const input = box.querySelector("input[type=file]");
        if (sent.has(input) && input.files[0] === sent.get(input)) input.value = "";
      }
      // A saved video has been read by the server: recount with what it found (its length).
      if (Object.keys(answer.media || {}).length) {
        form.dispatchEvent(new CustomEvent("hubbub:media", { bubbles: true }));
      }
      say(answer.saved || "", "ok");
    }).catch(() => {
      dirty = true;
      say("Offline: not saved yet.", "bad");
    }).finally(() => {
      saving = null;
    });
    return saving;
  }

  form.addEventListener("input", () => changed());
  form.addEventListener("change", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file") return; // handled above
    changed();
  });

  // Sending waits for a save in flight, so a picture is never sent twice.
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    clearTimeout(timer);
    if (saving) {
      event.preventDefault();
      const submitter = event.submitter;
      saving.finally(() => form.requestSubmit(submitter));
      return;
    }
    submitting = true;
  });

  function leave() {
    if (!dirty || stopped || submitting || !autosaveUrl) return;
    dirty = false;
    const data = payload();
    // Pictures go with their own save; one still on its way is not sent a second time.
    for (const input of form.querySelectorAll("input[type=file]")) data.delete(input.name);
    navigator.sendBeacon(autosaveUrl, data);
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leave();
  });
  window.addEventListener("pagehide", leave);
  // A page restored from the back/forward cache can save again.
  window.addEventListener("pageshow", () => {
    submitting = false;
  });

  syncPanels();
  syncPanelImages();
  markTouched();
})();
