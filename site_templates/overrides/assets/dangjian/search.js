// dangjian search: a small search box over Pagefind's JavaScript API, in a dialog. Nothing is
// downloaded for search until a reader opens it; then only Pagefind's script, its WebAssembly,
// the index chunks for the words typed and the excerpts of the results shown (Pagefind's own UI
// would add about 135 KB of script and style, which a phone pays for on every first search).
// Queries are folded to simplified characters (the index holds simplified text too), so 繁體
// and 简体 queries find the same pages.
// dangjian-search.json beside the site's pagefind/ folder lists the bundles to search: a site
// built alone lists its own; in a site made by `dangjian merge` it lists every shard's bundle,
// and they are merged in the browser (one search over all shards), each result naming its shard.
(function () {
  var dialog = document.querySelector("[data-dj-search]");
  if (!dialog) return;
  var PAGE = 5;        // results shown at first and per "more" click
  var SUBS = 3;        // sections shown under a result
  var bundle = new URL(dialog.getAttribute("data-bundle"), document.baseURI).href;
  var merged = new URL("../dangjian-search.json", bundle).href;
  var ready = null;    // a promise of {pagefind, shards} once started
  var fold = function (term) { return term; };
  var ui = build();
  var current = { id: 0, results: [], shown: 0, shards: [] };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    var root = dialog.querySelector("#dj-search-ui") || dialog;
    var form = el("form", "dj-search__form");
    form.setAttribute("role", "search");
    var input = el("input", "dj-search__input");
    input.type = "search";
    input.placeholder = "搜索党组织、品牌、项目、事迹";
    input.setAttribute("aria-label", "搜索本站");
    input.autocomplete = "off";
    form.appendChild(input);
    var status = el("p", "dj-search__status");
    status.setAttribute("aria-live", "polite");
    var list = el("ol", "dj-search__results");
    var more = el("button", "dj-search__more md-button", "显示更多结果");
    more.type = "button";
    more.hidden = true;
    root.appendChild(form);
    root.appendChild(status);
    root.appendChild(list);
    root.appendChild(more);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    input.addEventListener("input", function () { run(input.value); });
    more.addEventListener("click", function () { show(current.id); });
    return { input: input, status: status, list: list, more: more };
  }

  function script(src) {
    return new Promise(function (resolve) {
      var node = document.createElement("script");
      node.src = src;
      node.onload = resolve;
      node.onerror = resolve;  // without the folding table, queries are searched as typed
      document.head.appendChild(node);
    });
  }

  // The bundles to search, this page's own first: [{bundle, site, title}], absolute URLs.
  function shards() {
    var own = [{ bundle: bundle, site: new URL("../", bundle).href, title: "" }];
    if (!window.fetch || !/^https?:/.test(merged)) return Promise.resolve(own);
    return fetch(merged).then(function (response) {
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
    }).catch(function () { return own; });
  }

  function start() {
    if (ready) return ready;
    var folding = script(dialog.getAttribute("data-t2s")).then(function () {
      if (typeof window.djT2S === "function") fold = window.djT2S;
    });
    ready = Promise.all([shards(), folding]).then(function (values) {
      var list = values[0];
      return import(list[0].bundle + "pagefind.js").then(function (pagefind) {
        // noWorker: search on the page itself, not in a web worker (saves a 41 KB script per reader)
        return pagefind.options({ excerptLength: 24, noWorker: true }).then(function () {
          return pagefind.init();
        }).then(function () {
          return Promise.all(list.slice(1).map(function (entry) { return pagefind.mergeIndex(entry.bundle); }));
        }).then(function () {
          return { pagefind: pagefind, shards: list };
        });
      });
    });
    ready.catch(function () {
      ui.status.textContent = "搜索暂时无法使用，请稍后再试。";
    });
    return ready;
  }

  function run(value) {
    var id = ++current.id;
    if (!value.trim()) {
      ui.status.textContent = "";
      ui.list.textContent = "";
      ui.more.hidden = true;
      return;
    }
    start().then(function (state) {
      return state.pagefind.debouncedSearch(fold(value.trim()), {}, 200).then(function (found) {
        if (!found || id !== current.id) return;  // a newer query superseded this one
        current.results = found.results;
        current.shown = 0;
        current.shards = state.shards;
        ui.list.textContent = "";
        ui.status.textContent = found.results.length
          ? "找到 " + found.results.length + " 条结果"
          : "没有找到与“" + value.trim() + "”相关的结果";
        return show(id);
      });
    });
  }

  function show(id) {
    var batch = current.results.slice(current.shown, current.shown + PAGE);
    current.shown += batch.length;
    ui.more.hidden = current.shown >= current.results.length;
    return Promise.all(batch.map(function (result) { return result.data(); })).then(function (pages) {
      if (id !== current.id) return;
      pages.forEach(function (page) { ui.list.appendChild(item(page)); });
    });
  }

  // In a merged site, a result's title ends with the name of its shard.
  function shardTitle(url) {
    if (current.shards.length < 2) return "";
    var absolute = new URL(url, document.baseURI).href;
    var shard = current.shards.filter(function (entry) { return absolute.indexOf(entry.site) === 0; })[0];
    return shard && shard.title ? shard.title : "";
  }

  function item(page) {
    var li = el("li", "dj-search__result");
    var title = (page.meta && page.meta.title) || page.url;
    var shard = shardTitle(page.url);
    var heading = el("h3", "dj-search__result-title");
    var link = el("a", "dj-search__result-link", shard ? title + " · " + shard : title);
    link.href = page.url;
    heading.appendChild(link);
    li.appendChild(heading);
    li.appendChild(excerpt(page.excerpt));
    var subs = (page.sub_results || []).filter(function (sub) { return sub.url !== page.url; }).slice(0, SUBS);
    if (subs.length) {
      var ul = el("ul", "dj-search__subs");
      subs.forEach(function (sub) {
        var a = el("a", "", sub.title);
        a.href = sub.url;
        var entry = el("li");
        entry.appendChild(a);
        ul.appendChild(entry);
      });
      li.appendChild(ul);
    }
    return li;
  }

  // Pagefind's excerpt is HTML with <mark> around the words found; everything else in it is
  // written as text, so no markup from an indexed page can reach this page.
  function excerpt(html) {
    var p = el("p", "dj-search__excerpt");
    var parsed = new DOMParser().parseFromString(html || "", "text/html").body;
    parsed.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") p.appendChild(el("mark", "", node.textContent));
      else p.appendChild(document.createTextNode(node.textContent));
    });
    return p;
  }

  function open() {
    start();
    if (typeof dialog.showModal === "function") {
      if (!dialog.open) dialog.showModal();
    } else dialog.setAttribute("open", "");
    ui.input.focus();
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
    ui.input.value = query;
    run(query);
  }
})();
