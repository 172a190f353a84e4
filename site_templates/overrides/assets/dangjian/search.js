// dangjian search: a small search box over Pagefind's JavaScript API, in a dialog. Nothing is
// downloaded for search until a reader opens it; then only Pagefind's script, its WebAssembly,
// the index chunks for the words typed and the excerpts of the results shown (Pagefind's own UI
// would add about 135 KB of script and style, which a phone pays for on every first search).
// Queries are folded to simplified characters and cut into the tokens the index holds (one per
// Han character, letters and digits whole: see generator/dangjian/site/search.py), so 繁體 and
// 简体 queries find the same pages and the browser's word segmentation cannot disagree with
// the indexer's. A page must hold each typed word as written (an exact search per word); the
// pages that do are ranked by Pagefind's scores, in which a record's title outweighs a mention,
// after the pages whose title is exactly the query (found by one index word standing for each
// title, `title_key` in search.py).
// dangjian-search.json beside the site's pagefind/ folder lists the bundles to search: a site
// built alone lists its own; in a site made by `dangjian merge` it lists every shard's bundle,
// and they are merged in the browser (one search over all shards), each result naming its shard.
// A large site is indexed in parts (search.py: pagefind/parts/*, so that a rebuild re-indexes only
// the parts whose pages changed): each bundle's dangjian-parts.json lists its parts, merged the same
// way, with the same options, so every part ranks its pages as the main bundle does.
// A site built with dangjian's own index (`--search-engine own`, site/ownsearch.py) says so in
// dangjian-search.json ("engine": "own"): then nothing of Pagefind is loaded, and the search reads the
// index's meta, the chunks of the query's terms and the shown results' fragment files (gzip'd, unpacked
// with DecompressionStream), ranks as ownsearch.py's docs say, and shows results in the same markup. In a site
// made by `dangjian merge` of shards built so, every shard's index is queried and the results ranked together.
(function () {
  var dialog = document.querySelector("[data-dj-search]");
  if (!dialog) return;
  var PAGE = 5;        // results shown at first and per "more" click
  var WAIT = 200;      // ms after the last keystroke before searching
  var HAN = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  var TOKEN = new RegExp("[" + HAN + "]|(?:(?![" + HAN + "])[\\p{L}\\p{N}])+", "gu");
  var SPACE = "\u2063";  // a space the page shows, as the copy writes it (search.SPACE)
  var bundle = new URL(dialog.getAttribute("data-bundle"), document.baseURI).href;
  var merged = new URL("../dangjian-search.json", bundle).href;
  var ready = null;    // a promise of {pagefind, shards} (or {own, shards}) once started
  var engine = "pagefind";  // dangjian-search.json's "engine"
  var fold = function (term) { return term; };
  var ui = build();
  var current = { id: 0, results: [], shown: 0, shards: [] };
  var timer = null;

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
      if (config && config.engine === "own") engine = "own";
      ((config && config.bundles) || []).forEach(function (item) {
        if (!item || typeof item.bundle !== "string") return;
        var entry = { bundle: new URL(item.bundle, merged).href, title: String(item.title || item.name || "") };
        entry.site = typeof item.site === "string" ? new URL(item.site, merged).href : new URL("../", entry.bundle).href;
        if (entry.bundle === bundle || entry.site === own[0].site) list.unshift(entry);  // this page's site first
        else list.push(entry);
      });
      return list.length ? list : own;
    }).catch(function () { return own; }).then(function (list) {
      return engine === "own" ? list : withParts(list);  // an own index has no parts
    });
  }

  // Each bundle followed by its parts (none for a bundle without dangjian-parts.json).
  function withParts(list) {
    if (!window.fetch || !/^https?:/.test(merged)) return list;
    return Promise.all(list.map(function (entry) {
      return fetch(entry.bundle + "dangjian-parts.json").then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (listed) {
        var parts = ((listed && listed.bundles) || []).filter(function (path) {
          return typeof path === "string" && /^parts\/[A-Za-z0-9_-]+\/$/.test(path);
        });
        return [entry].concat(parts.map(function (path) {
          return { bundle: new URL(path, entry.bundle).href, site: entry.site, title: entry.title };
        }));
      }).catch(function () { return [entry]; });
    })).then(function (lists) { return [].concat.apply([], lists); });
  }

  function start() {
    if (ready) return ready;
    var folding = script(dialog.getAttribute("data-t2s")).then(function () {
      if (typeof window.djT2S === "function") fold = window.djT2S;
    });
    ready = Promise.all([shards(), folding]).then(function (values) {
      var list = values[0];
      if (engine === "own") {
        var indexes = list.map(function (entry) { return new OwnIndex(entry.bundle, entry.site); });
        return { own: new OwnSearch(indexes), shards: list };
      }
      return import(list[0].bundle + "pagefind.js").then(function (pagefind) {
        // noWorker: search on the page itself, not in a web worker (saves a 41 KB script per reader).
        // pageLength: the index counts characters, not words, so pages are long by Pagefind's
        // measure; at its default (0.75) a short page that lists a story's tags outranks the
        // story that tells of them.
        var options = { excerptLength: 40, ranking: { pageLength: 0.5 } };
        return pagefind.options(Object.assign({ noWorker: true }, options)).then(function () {
          return pagefind.init();
        }).then(function () {
          return Promise.all(list.slice(1).map(function (entry) { return pagefind.mergeIndex(entry.bundle, options); }));
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

  // The query's words (split where the reader typed spaces), each as its list of tokens.
  function words(value) {
    return fold(value).toLowerCase().split(/\s+/).map(function (word) {
      return word.match(TOKEN) || [];
    }).filter(function (tokens) { return tokens.length; });
  }

  function fnv(text, basis) {
    var value = basis;
    for (var char of text) value = Math.imul(value ^ char.codePointAt(0), 16777619) >>> 0;
    return ("0000000" + value.toString(16)).slice(-8);
  }

  // The index word standing for a title whose tokens are `tokens` (search.py's title_key).
  function titleKey(tokens) {
    var text = tokens.join(" ");
    return "qx" + (fnv(text, 0x811C9DC5) + fnv(text, 0x050C5D1F)).replace(/[0-9a-f]/g, function (digit) {
      return String.fromCharCode(97 + parseInt(digit, 16));  // hex digit as a letter a-p: one word
    });
  }

  // Pages holding every word as typed, in the order of a search for all their tokens, those
  // titled exactly as the query first; when no page holds the words as typed, the pages
  // holding all the tokens anywhere.
  function find(state, query) {
    if (state.own) return state.own.find(query);
    var pagefind = state.pagefind;
    var all = [].concat.apply([], query);
    var phrases = query.filter(function (tokens) { return tokens.length > 1; });
    var searches = [pagefind.search(all.join(" ")), pagefind.search(titleKey(all))].concat(
      phrases.map(function (tokens) { return pagefind.search('"' + tokens.join(" ") + '"'); }));
    return Promise.all(searches).then(function (found) {
      var ids = function (each) { return new Set(each.results.map(function (result) { return result.id; })); };
      var ranked = found[0].results;
      var titled = ids(found[1]);
      var exact = found.slice(2).map(ids);
      var held = ranked.filter(function (result) {
        return exact.every(function (set) { return set.has(result.id); });
      });
      var rest = held.length ? held : ranked;
      return ranked.filter(function (result) { return titled.has(result.id); }).concat(
        rest.filter(function (result) { return !titled.has(result.id); }));
    });
  }


  // --- dangjian's own index (site/ownsearch.py) -----------------------------------------------------
  var K1 = 1.4, B = 0.5;  // BM25 as the Pagefind options above (its term saturation, pageLength 0.5)
  var EXCERPT = 40;       // tokens in an excerpt, as excerptLength above
  var PREFIX_MAX = 24;    // ownsearch.PREFIX_MAX: a longer Latin word or number is found whole only

  function gunzip(response) {
    if (!response.ok) throw new Error(response.status + " " + response.url);
    return new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
  }

  function fnvBytes(bytes) {  // ownsearch.fnv1a: FNV-1a over the term's UTF-8 bytes
    var value = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) value = Math.imul(value ^ bytes[i], 16777619) >>> 0;
    return value;
  }

  function varint(bytes, at) {
    var value = 0, scale = 1, byte;
    do {
      byte = bytes[at.i++];
      value += (byte & 127) * scale;
      scale *= 128;
    } while (byte & 128);
    return value;
  }

  function postingsOf(entry) {  // id -> level
    var found = new Map(), bytes = entry.payload;
    if (entry.kind === 1) {  // dense: a nibble per id
      bytes.forEach(function (byte, i) {
        if (byte & 15) found.set(2 * i, byte & 15);
        if (byte >> 4) found.set(2 * i + 1, byte >> 4);
      });
      return found;
    }
    var at = { i: 0 }, last = -1;
    for (var n = 0; n < entry.count; n++) {
      var value = varint(bytes, at);
      last += Math.floor(value / 16) + 1;
      found.set(last, value % 16);
    }
    return found;
  }

  function OwnIndex(base, site) {
    this.base = base;
    this.site = site;
    this.chunks = new Map();  // chunk name -> promise of Map term -> entry
    this.fragments = new Map();  // fragment file number -> promise of its fragments (a query's, fetched afresh)
    this.meta = null;
  }

  // The meta, fetched again when a chunk it names is gone (a newer build replaced it while the dialog was open).
  OwnIndex.prototype.load = function (fresh) {
    if (!this.meta || fresh) {
      this.meta = fetch(this.base + "meta.gz", { cache: "no-cache" }).then(gunzip).then(function (buffer) {
        var meta = JSON.parse(new TextDecoder().decode(buffer));
        meta.names = meta.chunks.match(/.{12}/g) || [];
        meta.lengthBytes = Uint8Array.from(atob(meta.lengths), function (c) { return c.charCodeAt(0); });
        return meta;
      });
    }
    return this.meta;
  };

  OwnIndex.prototype.chunk = function (name) {
    if (!this.chunks.has(name)) {
      var loading = fetch(this.base + "c/" + name + ".gz").then(gunzip).then(function (buffer) {
        var bytes = new Uint8Array(buffer), at = { i: 0 }, entries = new Map(), text = new TextDecoder();
        while (at.i < bytes.length) {
          var size = varint(bytes, at);
          var term = text.decode(bytes.subarray(at.i, at.i + size));
          at.i += size;
          var kind = bytes[at.i++];
          var count = varint(bytes, at), length = varint(bytes, at);
          entries.set(term, { kind: kind, count: count, payload: bytes.subarray(at.i, at.i + length) });
          at.i += length;
        }
        return entries;
      });
      this.chunks.set(name, loading);
      var chunks = this.chunks;
      loading.catch(function () { chunks.delete(name); });
    }
    return this.chunks.get(name);
  };

  OwnIndex.prototype.postings = function (meta, term) {
    var name = meta.names[fnvBytes(new TextEncoder().encode(term)) % meta.names.length];
    return this.chunk(name).then(function (entries) {
      var entry = entries.get(term);
      return entry ? postingsOf(entry) : new Map();
    });
  };

  function unique(list) {
    return list.filter(function (item, i) { return list.indexOf(item) === i; });
  }

  // A word's terms: its token alone, or its bigrams (a phrase of n tokens is held by its n - 1 bigrams).
  function bigrams(tokens) {
    if (tokens.length === 1) return tokens;
    return tokens.slice(1).map(function (token, i) { return tokens[i] + " " + token; });
  }

  // One or several own indexes (a site's, or every shard's of `dangjian merge`) searched as one: the pages holding
  // every term of every word (else every token anywhere, those no page holds left out), those titled exactly as the
  // query first, the rest by BM25 over the levels and the pages' lengths, with the statistics of all the indexes
  // together (their pages, average length and each term's page count summed), so that pages of several indexes are
  // ranked as one index of all of them would rank them: [{id, data()}] as Pagefind's results. An index whose meta
  // cannot be read is left out.
  function OwnSearch(indexes) {
    this.indexes = indexes;
  }

  OwnSearch.prototype.find = function (query, retried) {
    var self = this;
    this.indexes.forEach(function (index) { index.fragments = new Map(); });  // never an older build's excerpt
    return Promise.all(this.indexes.map(function (index) {
      return index.load(retried).catch(function () { return null; });
    })).then(function (loaded) {
      var live = self.indexes.filter(function (index, i) { return loaded[i]; });
      var metas = loaded.filter(Boolean);
      if (!metas.length) throw new Error("no search index could be read");
      var all = [].concat.apply([], query);
      var shortest = shortestWord(query);
      var pages = 0, lengths = 0;
      metas.forEach(function (meta) { pages += meta.pages; lengths += meta.pages * meta.average; });
      var average = lengths / Math.max(1, pages);
      var lists = function (terms) {  // each term's postings in every index: [[Map per index] per term]
        return Promise.all(terms.map(function (term) {
          return Promise.all(live.map(function (index, i) { return index.postings(metas[i], term); }));
        }));
      };
      var held = function (maps) { return maps.reduce(function (n, map) { return n + map.size; }, 0); };
      var rank = function (terms) {
        var counts = terms.map(held), results = [];
        live.forEach(function (index, i) {
          var maps = terms.map(function (perIndex) { return perIndex[i]; });
          maps[0].forEach(function (level0, id) {
            if (!maps.every(function (map) { return map.has(id); })) return;
            var length = Math.pow(2, (metas[i].lengthBytes[id] - 1) / 16) - 1;
            var norm = K1 * (1 - B + B * length / average), score = 0;
            maps.forEach(function (map, t) {
              var df = counts[t], level = map.get(id);
              score += Math.log(1 + (pages - df + 0.5) / (df + 0.5)) * level * (K1 + 1) / (level + norm);
            });
            results.push({ index: i, id: id, score: score });
          });
        });
        return results;
      };
      return Promise.all([lists(unique([].concat.apply([], query.map(bigrams)))), lists([titleKey(all)])])
        .then(function (found) {
          var ranked = rank(found[0]);
          var loose = function (terms) {  // as Pagefind: a token no page holds is left out
            terms = terms.filter(held);
            return terms.length ? rank(terms) : [];
          };
          var fallback = !ranked.length && all.length > 1;
          return (fallback ? lists(unique(all)).then(loose) : Promise.resolve(ranked)).then(function (results) {
            var titled = found[1][0];
            results.forEach(function (result) { result.titled = titled[result.index].has(result.id) ? 1 : 0; });
            results.sort(function (a, b) {
              return (b.titled - a.titled) || (b.score - a.score) || (a.index - b.index) || (a.id - b.id);
            });
            return results.map(function (result) {
              var index = live[result.index];
              var data = function () { return index.data(result.id, all, shortest); };
              return { id: result.index + ":" + result.id, score: result.score, titled: result.titled, data: data };
            });
          });
        });
    }).catch(function (error) {
      if (retried) throw error;
      return self.find(query, true);  // a chunk named by an old meta is gone: read the metas again, once
    });
  };

  // The fragments of file `number` (p/<number>.gz: the pages of meta.fragments ids in a row), fetched once a query.
  OwnIndex.prototype.fragmentFile = function (number) {
    var fragments = this.fragments;
    if (!fragments.has(number)) {
      var loading = fetch(this.base + "p/" + number + ".gz", { cache: "no-cache" }).then(gunzip).then(function (buffer) {
        return JSON.parse(new TextDecoder().decode(buffer));
      });
      fragments.set(number, loading);
      loading.catch(function () { fragments.delete(number); });
    }
    return fragments.get(number);
  };

  // A result as Pagefind gives it: {url, meta: {title}, excerpt: HTML with <mark> around the query's tokens}.
  OwnIndex.prototype.data = function (id, tokens, shortest) {
    var self = this;
    return this.load().then(function (meta) {
      var per = meta.fragments;
      return self.fragmentFile(Math.floor(id / per)).then(function (entries) {
        var page = entries[id % per];
        return { url: new URL(page[0], self.site).href, meta: { title: page[1] }, excerpt: ownExcerpt(page[2], tokens, shortest) };
      });
    });
  };

  function escapeText(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // Pagefind ends a block with "." when its last character is a word character, ', ", ), $ or * (its fossick parser,
  // `[\w'"\)\$\*]`), then a space: "党员活动日. 各村党支部：本周日是…" (no "." after Chinese punctuation).
  var SENTENCE_END = /[\p{L}\p{M}\p{N}\p{Pc}'")$*]$/u;

  // The EXCERPT tokens of `text` (blocks on lines of their own, joined as Pagefind joins them) around its most
  // matches (runs of at least `shortest` of the query's tokens: what excerpt() below shows marked), each token of
  // the query marked; excerpt() then joins touching marks as for Pagefind's.
  function ownExcerpt(text, tokens, shortest) {
    var wanted = new Set(tokens);
    var cut = new RegExp(TOKEN.source + "|[\\s\\S]", "gu");  // word tokens and every other character
    var whole = new RegExp("^(?:" + TOKEN.source + ")$", "u");
    var all = text.split("\n").map(function (block) {  // "\n" between blocks until the excerpt is written
      return SENTENCE_END.test(block) ? block + "." : block;
    }).join("\n").match(cut) || [];
    var words = [];  // indexes in `all` of word tokens
    all.forEach(function (piece, i) { if (whole.test(piece)) words.push(i); });
    var typed = tokens.filter(function (token) { return !isHan(token); });  // a Latin word or number: its prefix too
    var marked = words.map(function (i) {
      var token = all[i].toLowerCase();
      return wanted.has(token) || (!isHan(token) && token.length <= PREFIX_MAX && typed.some(function (start) {
        return token.indexOf(start) === 0;
      }));
    });
    var hit = marked.slice();  // a match: a token in a run of marked tokens at least `shortest` long
    for (var r = 0; r < marked.length; r++) {
      if (!marked[r]) continue;
      var end = r;
      while (end < marked.length && marked[end]) end++;
      var latin = words.slice(r, end).every(function (i) { return !isHan(all[i]); });  // a whole word, or its prefix
      for (var q = r; q < end; q++) hit[q] = latin || end - r >= shortest;
      r = end;
    }
    var best = 0, most = -1;
    hit.forEach(function (is, w) {
      if (!is || (w > 0 && hit[w - 1])) return;  // a window begins before a run of matches, not inside one
      var start = Math.max(0, w - 5), n = 0;
      for (var b = w - 1; b >= start; b--) {  // a block that begins among those tokens: begin with it
        if (all.slice(words[b], words[b + 1]).indexOf("\n") >= 0) { start = b + 1; break; }
      }
      // a number or Latin word and what is written against it read as one word (2015年, 7月, G20峰会): never
      // begin between them (「月29日」 of 「7月29日」)
      while (start > 0 && w - start < 9 && words[start - 1] === words[start] - 1 &&
             (!isHan(all[words[start]]) || !isHan(all[words[start - 1]]))) start--;
      for (var k = start; k < Math.min(words.length, start + EXCERPT); k++) n += hit[k] ? 1 : 0;
      if (n > most) { most = n; best = start; }
    });
    var from = words.length ? words[best] : 0;
    var to = best + EXCERPT < words.length ? words[best + EXCERPT] : all.length;
    var marks = new Set(words.filter(function (i, w) { return marked[w]; }));
    var pieces = all.slice(from, to).map(function (piece, k) {
      // the text's spaces are the page's own (ownsearch.parse): written as the copy writes them, for excerpt()
      var safe = piece === "\n" ? " " : piece === " " ? SPACE : escapeText(piece);
      return marks.has(from + k) ? "<mark>" + safe + "</mark>" : safe;
    });
    return pieces.join("");
  }

  function clear() {
    ui.status.textContent = "";
    ui.list.textContent = "";
    ui.more.hidden = true;
  }

  function run(value) {
    var id = ++current.id;
    var typed = value.trim();
    clearTimeout(timer);
    if (!typed) return clear();
    timer = setTimeout(function () {
      start().then(function (state) {
        var query = words(typed);  // once the folding table has loaded
        return (query.length ? find(state, query) : Promise.resolve([])).then(function (results) {
          if (id !== current.id) return;  // a newer query superseded this one
          current.results = results;
          current.shown = 0;
          current.shortest = shortestWord(query);
          current.shards = state.shards;
          ui.list.textContent = "";
          ui.status.textContent = results.length
            ? "找到 " + results.length + " 条结果"
            : "没有找到与“" + typed + "”相关的结果";
          return show(id);
        });
      });
    }, WAIT);
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
    li.appendChild(excerpt(page.excerpt, current.shortest || 1));
    return li;
  }

  // The fewest tokens of a query word with Chinese in it (上余村 of 「上余村 2015」: 3), else 1: a run of marks
  // shorter than that is no match (a lone 村); a number or Latin word is one token and matched whole.
  function shortestWord(query) {
    var han = query.filter(function (tokens) { return tokens.some(isHan); });
    return han.length ? Math.min.apply(null, han.map(function (tokens) { return tokens.length; })) : 1;
  }

  function isHan(char) {
    return new RegExp("^[" + HAN + "]$", "u").test(char);
  }

  function isWordChar(char) {
    return !!char && /^[\p{L}\p{N}]$/u.test(char) && !isHan(char);
  }

  // Pagefind's excerpt is HTML with <mark> around the words found; everything else in it is
  // written as text, so no markup from an indexed page can reach this page. The index holds
  // text one token per Han character ("上 余 村 ： 每 周"), so its spaces are dropped, and a
  // space the page shows is the token SPACE ("诸 暨 日 报 \u2063 2015"), shown as one space;
  // marks that then touch (one per character) become one, and a mark shorter than every word of
  // the query (a lone 党 of 党建 for the query 党支部) is not shown as a match.
  function excerpt(html, shortest) {
    var p = el("p", "dj-search__excerpt");
    var parsed = new DOMParser().parseFromString(html || "", "text/html").body;
    var chars = [];
    parsed.childNodes.forEach(function (node) {
      Array.from(node.textContent.replace(/\bqx[a-p]{16}\b/g, "")).forEach(function (char) {
        // Pagefind ends each block with ". ", which a mark on the block's last word takes in
        if (char === SPACE) chars.push({ char: " ", mark: false, shown: true });
        else chars.push({ char: char, mark: node.nodeName === "MARK" && !/^[.,;:!?]$/.test(char) });
      });
    });
    var kept = chars.filter(function (item, i) {
      if (item.char !== " " || item.shown) return true;
      var before = chars[i - 1], after = chars[i + 1];
      if ((before && before.shown) || (after && after.shown)) return false;  // the page's own space, shown once
      if (before && /^[.,;:!?]$/.test(before.char)) return true;  // Pagefind's ". " between blocks
      return isWordChar(before && before.char) && isWordChar(after && after.char);
    });
    var runs = [];
    kept.forEach(function (item) {
      var last = runs[runs.length - 1];
      if (last && last.mark === item.mark) last.text += item.char;
      else runs.push({ mark: item.mark, text: item.char });
    });
    runs.forEach(function (run) {
      var tokens = run.text.match(TOKEN) || [];
      var whole = run.mark && (tokens.length >= shortest || !tokens.some(isHan));  // a number or Latin word: whole
      p.appendChild(whole ? el("mark", "", run.text) : document.createTextNode(run.text));
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
  // For tests: how a query is cut and keyed (the same as the index copy, search.py).
  dialog.djWords = function (value) { return words(value); };
  dialog.djTitleKey = titleKey;
  dialog.djExcerpt = function (html, shortest) { return excerpt(html, shortest || 1).innerHTML; };
  dialog.djFind = function (value) {
    return start().then(function (state) {
      var query = words(value.trim());
      return query.length ? find(state, query) : [];
    });
  };

  // Open directly from a link such as /?q=党员 (used by tests and shareable searches).
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    open();
    ui.input.value = query;
    run(query);
  }
})();
