// The phone's More menu (layouts/app.html) closes as a menu does: on Escape (focus back on More)
// and on a tap or click anywhere else. Without script it is a <details> opened and closed by More.
"use strict";

(() => {
  const more = document.querySelector("details.nav-more");
  if (!more) return;
  document.addEventListener("click", (event) => {
    if (more.open && !more.contains(event.target)) more.open = false;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !more.open) return;
    more.open = false;
    more.querySelector("summary").focus();
  });
})();
