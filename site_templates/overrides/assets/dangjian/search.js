// dangjian search: Pagefind's UI in a dialog, loaded only when a reader opens it, so a page
// view downloads nothing for search. Queries are folded to simplified characters
// (the index holds simplified text too), so 繁體 and 简体 queries find the same pages.
// In a site made by `dangjian merge`, dangjian-search.json beside the site's pagefind/ folder
// lists every shard's bundle: they are merged in the browser (one search over all shards) and
// each result names its shard. A site published alone has no such file and searches itself.
(function () {
  var dialog = document.querySelector("[data-dj-search]");
  if (!dialog) return;
  var bundle = new URL(dialog.getAttribute("data-bundle"), document.baseURI).href;
  var merged = new URL("../dangjian-search.json", bundle).href;
  var started = false;

  function load(src, done) {
    var el = document.createElement("script");
    el.src = src;
    el.onload = done;
    document.head.appendChild(el);
  }

  // The bundles to search, this page's own first: [{bundle, site, title}], absolute URLs.
  function bundles(done) {
    var own = [{ bundle: bundle, site: new URL("../", bundle).href, title: "" }];
    if (!window.fetch || !/^https?:/.test(merged)) return done(own);
    fetch(merged).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (config) {
      var list = [];
      ((config && config.bundles) || []).forEach(function (item) {
        if (!item || typeof item.bundle !== "string") return;
        var entry = { bundle: new URL(item.bundle, merged).href, title: String(item.title || item.name || "") };
        entry.site = typeof item.site === "string" ? new URL(item.site, merged).href : new URL("../", entry.bundle).href;
        if (entry.bundle === bundle) list.unshift(entry);
        else list.push(entry);
      });
      return list.length ? list : own;
    }).catch(function () { return own; }).then(done);
  }

  // In a merged site, a result's title ends with the name of its shard.
  function labeller(list) {
    if (list.length < 2) return null;
    return function (result) {
      var url = new URL(result.url, document.baseURI).href;
      var shard = list.filter(function (entry) { return url.indexOf(entry.site) === 0; })[0];
      if (shard && shard.title && result.meta) result.meta.title = (result.meta.title || "") + " · " + shard.title;
      return result;
    };
  }

  function start() {
    if (started) return;
    started = true;
    bundles(function (list) {
      var primary = list[0].bundle;
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = primary + "pagefind-ui.css";
      document.head.appendChild(css);
      load(dialog.getAttribute("data-t2s"), function () {
        load(primary + "pagefind-ui.js", function () {
          var options = {
            element: "#dj-search-ui",
            bundlePath: primary,
            showSubResults: true,
            showImages: false,
            resetStyles: false,
            autofocus: true,
            processTerm: function (term) { return window.djT2S(term); },
          };
          if (list.length > 1) {
            options.mergeIndex = list.slice(1).map(function (entry) { return { bundlePath: entry.bundle }; });
            options.processResult = labeller(list);
          }
          new PagefindUI(options);
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
