// hubbub deck on a phone: one column at a time. The columns box snaps to whole columns
// (deck.css, max-width 640px), so a swipe moves one column; this keeps the bar above it in step:
// which column is shown of how many, a picker, and previous/next buttons for keyboards and screen
// readers. On a wider screen the bar is hidden and this only keeps it current.
"use strict";

(() => {
  const box = document.getElementById("columns");
  const bar = document.querySelector("[data-deck-phone]");
  if (!box || !bar) return;

  const pick = bar.querySelector("[data-phone-pick]");
  const shown = bar.querySelector("[data-phone-n]");
  const total = bar.querySelector("[data-phone-total]");
  const [prev, next] = bar.querySelectorAll("[data-phone-step]");

  function columns() {
    return Array.from(box.querySelectorAll(":scope > .column[data-column]"));
  }

  // A column is named as its region is: title and subtitle ("Home · @ada@example.social").
  function nameOf(column) {
    const ids = (column.getAttribute("aria-labelledby") || "").split(" ").filter(Boolean);
    const parts = ids.map((id) => document.getElementById(id))
      .filter(Boolean).map((el) => el.textContent.trim()).filter(Boolean);
    return parts.join(" · ") || "Column";
  }

  // The column whose left edge is nearest the box's: the one a snap shows.
  function shownIndex(all) {
    const left = box.getBoundingClientRect().left;
    let best = 0;
    let distance = Infinity;
    all.forEach((column, index) => {
      const d = Math.abs(column.getBoundingClientRect().left - left);
      if (d < distance) { distance = d; best = index; }
    });
    return best;
  }

  // Columns are moved, added and removed in the page (deck.js): the picker follows.
  function syncOptions(all) {
    const same = pick.options.length === all.length &&
      all.every((column, i) => pick.options[i].value === column.dataset.column);
    if (same) return;
    pick.replaceChildren(...all.map((column) => new Option(nameOf(column), column.dataset.column)));
  }

  function stepState(button, off) {
    // aria-disabled, not disabled: the button keeps focus at either end.
    button.setAttribute("aria-disabled", String(off));
  }

  function update() {
    const all = columns();
    syncOptions(all);
    if (!all.length) return;
    const index = shownIndex(all);
    // Only a change is written: the count is a live region, read out when it changes.
    if (shown.textContent !== String(index + 1)) shown.textContent = String(index + 1);
    if (total.textContent !== String(all.length)) total.textContent = String(all.length);
    if (pick.value !== all[index].dataset.column) pick.value = all[index].dataset.column;
    if (bar.dataset.shown !== all[index].dataset.column) {
      bar.dataset.shown = all[index].dataset.column;
      // deck.js makes it the current column, so j/k and the other keys act on what is shown.
      all[index].dispatchEvent(new CustomEvent("hubbub:column-shown", { bubbles: true }));
    }
    stepState(prev, index === 0);
    stepState(next, index === all.length - 1);
  }

  function show(index) {
    const all = columns();
    const column = all[Math.max(0, Math.min(all.length - 1, index))];
    if (!column) return;
    box.scrollBy({ left: column.getBoundingClientRect().left - box.getBoundingClientRect().left });
  }

  let frame = 0;
  box.addEventListener("scroll", () => {
    if (!frame) frame = window.requestAnimationFrame(() => { frame = 0; update(); });
  }, { passive: true });
  window.addEventListener("resize", update);
  pick.addEventListener("change", () => {
    show(columns().findIndex((column) => column.dataset.column === pick.value));
  });
  for (const button of [prev, next]) {
    button.addEventListener("click", () => {
      if (button.getAttribute("aria-disabled") === "true") return;
      show(shownIndex(columns()) + Number(button.dataset.phoneStep));
    });
  }
  new MutationObserver(update).observe(box, { childList: true });
  update();
})();
