// dangjian search: Pagefind's UI in a dialog, loaded only when a reader opens it, so a page
// view downloads nothing for search. Queries are folded to simplified characters
// (the index holds simplified text too), so 繁體 and 简体 queries find the same pages.
(function () {
  var dialog = document.querySelector("[data-dj-search]");
  if (!dialog) return;
  var bundle = new URL(dialog.getAttribute("data-bundle"), document.baseURI).href;
  var started = false;

  function load(src, done) {
    var el = document.createElement("script");
    el.src = src;
    el.onload = done;
    document.head.appendChild(el);
  }

  function start() {
    if (started) return;
    started = true;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = bundle + "pagefind-ui.css";
    document.head.appendChild(css);
    load(dialog.getAttribute("data-t2s"), function () {
      load(bundle + "pagefind-ui.js", function () {
        new PagefindUI({
          element: "#dj-search-ui",
          bundlePath: bundle,
          showSubResults: true,
          showImages: false,
          resetStyles: false,
          autofocus: true,
          processTerm: function (term) { return window.djT2S(term); },
        });
      });
    });
  }

  function open() {
    start();
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    var input = dialog.querySelector("input");
    if (input) input.focus();
  }

  document.querySelectorAll("[data-dj-search-open]").forEach(function (button) {
    button.addEventListener("click", open);
  });
  document.addEventListener("keydown", function (event) {
    var typing = /input|textarea|select/i.test((event.target || {}).tagName || "");
    if (!typing && (event.key === "/" || event.key === "s")) {
      event.preventDefault();
      open();
    }
  });
  // Open directly from a link such as /?q=党员 (used by tests and shareable searches).
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    open();
    var wait = setInterval(function () {
      var input = dialog.querySelector("input");
      if (input) {
        clearInterval(wait);
        input.value = query;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }, 50);
  }
})();
