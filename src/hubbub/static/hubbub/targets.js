// hubbub: ticking accounts in one click, on the compose page and in the deck's panel.
// - "All accounts" ticks every account (or unticks all when all are ticked)
// - a group's button ticks exactly that group's accounts (its link works without the script)
// - "Save group" keeps the ticked accounts under a name and adds its button at once
// Listens on the document, so a panel put into the page later works the same.
"use strict";

(() => {
  const boxes = (pick) => Array.from(pick.querySelectorAll("input[name=targets]"));

  function changed(pick) {
    // The form's live counters listen for "change".
    const first = boxes(pick)[0];
    if (first) first.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function tick(pick, spec) {
    const all = boxes(pick);
    if (spec === "all") {
      const every = all.every((box) => box.checked);
      all.forEach((box) => { box.checked = !every; });
    } else {
      const wanted = new Set(spec.split(/\s+/).filter(Boolean));
      all.forEach((box) => { box.checked = wanted.has(box.value); });
    }
    changed(pick);
  }

  document.addEventListener("click", (event) => {
    const trigger = event.target instanceof Element && event.target.closest("[data-tick]");
    if (!trigger) return;
    const pick = trigger.closest("[data-targets-pick]");
    if (!pick) return;
    event.preventDefault();
    tick(pick, trigger.dataset.tick || "");
  });

  function groupButton(group) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-ghost";
    button.dataset.tick = group.ids.join(" ");
    button.dataset.group = String(group.pk);
    button.textContent = group.name;
    button.title = `Tick the accounts of “${group.name}”`;
    return button;
  }

  document.addEventListener("click", async (event) => {
    const save = event.target instanceof Element && event.target.closest("[data-group-save]");
    if (!save) return;
    const pick = save.closest("[data-targets-pick]");
    const form = save.closest("form");
    if (!pick || !form) return;
    event.preventDefault();
    const status = pick.querySelector("[data-group-status]");
    const name = pick.querySelector("input[name=group_name]");
    const body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
    body.append("group_name", name ? name.value : "");
    boxes(pick).filter((box) => box.checked).forEach((box) => body.append("targets", box.value));
    let answer = null;
    try {
      const response = await fetch(save.getAttribute("formaction"), {
        method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      answer = await response.json();
    } catch (_) {
      answer = { error: "The hub did not answer; the group was not saved. Try again." };
    }
    if (status) status.textContent = answer.error || answer.message || "";
    if (answer.error) return;
    const quick = pick.querySelector(".target-quick");
    const old = quick.querySelector(`[data-group="${answer.pk}"]`);
    const fresh = groupButton(answer);
    if (old) old.replaceWith(fresh);
    else quick.insertBefore(fresh, pick.querySelector(".group-save"));
    if (name) name.value = "";
  });
})();
