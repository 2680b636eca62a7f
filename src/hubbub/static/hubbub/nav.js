// The phone's More menu and the user menu (layouts/app.html) close as menus do: on Escape (focus
// back on the menu's button) and on a tap or click anywhere else. Without script each is a
// <details> opened and closed by its summary.
"use strict";

(() => {
  const menus = () => document.querySelectorAll("details.nav-more[open], details.user-menu[open]");
  document.addEventListener("click", (event) => {
    for (const menu of menus()) if (!menu.contains(event.target)) menu.open = false;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of menus()) {
      const inside = menu.contains(document.activeElement);
      menu.open = false;
      if (inside || document.activeElement === document.body) menu.querySelector("summary").focus();
    }
  });
})();
