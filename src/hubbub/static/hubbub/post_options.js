// publishing/_post_options.html: keep the Mastodon visibility lines, the preselection and the
// "direct" warning in step with the ticked accounts. What the person picks is never changed;
// until they pick, the visibility follows the ticked Mastodon accounts' shared default (else
// each account's own), and the language their shared default, else the browser's language.
(function () {
  "use strict";
  var LABELS = {"": "", public: "Public", unlisted: "Unlisted", "private": "Followers only",
                direct: "Mentioned people only"};

  function setUp(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    var form = box.closest("form");
    var visibility = box.querySelector("select[name=visibility]");
    var language = box.querySelector("select[name=language]");
    var warning = box.querySelector("[data-direct-warning]");
    if (!form || !visibility || !language) return;
    // What the server preselected is not the person's pick: it follows the ticked accounts
    // until the person changes it (a form sent back or a draft keeps its own: data-keep).
    var picked = {visibility: false, language: false};
    var lines = Array.prototype.slice.call(box.querySelectorAll("li[data-account]"));
    var fixed = !form.querySelector("input[name=targets][type=checkbox]");  // the edit page

    function ticked() {
      var ids = {};
      form.querySelectorAll("input[name=targets]").forEach(function (input) {
        if (input.type !== "checkbox" || input.checked) ids[input.value] = true;
      });
      return ids;
    }

    function browserLanguage() {
      var wanted = navigator.languages || [navigator.language || ""];
      for (var i = 0; i < wanted.length; i++) {
        var code = String(wanted[i] || "").toLowerCase().split("-")[0];
        if (code && language.querySelector('option[value="' + code + '"]')) return code;
      }
      return "";
    }

    function refresh() {
      var ids = ticked();
      var shown = lines.filter(function (li) { return fixed || ids[li.dataset.account]; });
      lines.forEach(function (li) { li.hidden = shown.indexOf(li) < 0; });
      var anyTicked = Object.keys(ids).length > 0;
      // Nothing ticked yet: every account's defaults. Accounts ticked but no Mastodon one among
      // them: none (the browser's language), not an unticked account's.
      var pool = shown.length || (anyTicked && !fixed) ? shown : lines;
      if (!picked.visibility && pool.length) {
        var seen = {};
        pool.forEach(function (li) { seen[li.dataset.default] = true; });
        var keys = Object.keys(seen);
        visibility.value = keys.length === 1 ? keys[0] : "";
      }
      if (!picked.language) {
        var langs = {};
        pool.forEach(function (li) { if (li.dataset.defaultLanguage) langs[li.dataset.defaultLanguage] = true; });
        var found = Object.keys(langs);
        language.value = found.length === 1 ? found[0] : browserLanguage();
      }
      var chosen = visibility.value;
      var direct = false;
      lines.forEach(function (li) {
        var own = li.dataset.default;
        // The account's own choice in its "Customize" section, when it has one.
        var mine = form.querySelector('select[name="vis_' + li.dataset.account + '"]');
        var picked = mine && mine.value ? mine.value : "";
        var text = picked ? LABELS[picked] + " (for this account)"
          : chosen ? LABELS[chosen] : (own ? LABELS[own] + " (its default)" : "Its server's default");
        var goes = picked || chosen || own;
        var pill = li.querySelector("[data-goes-as]");
        pill.textContent = text;
        pill.classList.toggle("pill-warn", goes === "direct");
        if (goes === "direct" && !li.hidden) direct = true;
      });
      if (warning) warning.hidden = !direct;
    }

    visibility.addEventListener("change", function () { picked.visibility = true; refresh(); });
    language.addEventListener("change", function () { picked.language = true; });
    form.addEventListener("change", function (event) {
      var name = event.target && event.target.name || "";
      if (name === "targets" || name.indexOf("vis_") === 0) refresh();
    });
    // A form sent back (an error), a draft opened again or a post being edited keeps its own.
    if ("keep" in box.dataset) picked.visibility = picked.language = true;
    refresh();
  }

  function all() { document.querySelectorAll("[data-post-options]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
  document.addEventListener("htmx:afterSettle", all);
  document.addEventListener("hubbub:content", all);  // the deck's composer panel, filled
})();
