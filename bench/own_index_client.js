// The browser side of bench/own_index.py's prototype index (bench only, not published): what a plain JS client
// of our own would be, measured in Chromium by `own_index.py --browser-client` (its size, the bytes it fetches,
// and that it returns what the Python model returns). fetch + DecompressionStream("gzip"), no WebAssembly.
// A query is folded and cut as search.js cuts it (window.djT2S from t2s.js when loaded); each word of several
// tokens asks for its bigrams, a single token for itself; pages holding every term are ranked by BM25 (the level
// kept per page and term, the page's length from the meta), pages titled exactly as the query first.
(function (global) {
  var HAN = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  var TOKEN = new RegExp("[" + HAN + "]|(?:(?![" + HAN + "])[\\p{L}\\p{N}])+", "gu");
  var K1 = 1.4, B = 0.5;

  function gunzip(response) {
    if (!response.ok) throw new Error(response.status + " " + response.url);
    return new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
  }

  function fnv1a(bytes) {
    var value = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) value = Math.imul(value ^ bytes[i], 16777619) >>> 0;
    return value;
  }

  function fnvHex(text, basis) {  // search.js's title key hash (over code points, not bytes)
    var value = basis;
    for (var char of text) value = Math.imul(value ^ char.codePointAt(0), 16777619) >>> 0;
    return ("0000000" + value.toString(16)).slice(-8);
  }

  function titleKey(tokens) {
    var text = tokens.join(" ");
    return "qx" + (fnvHex(text, 0x811c9dc5) + fnvHex(text, 0x050c5d1f)).replace(/[0-9a-f]/g, function (d) {
      return String.fromCharCode(97 + parseInt(d, 16));
    });
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

  function decode(entry) {  // id -> level
    var found = new Map(), bytes = entry.payload;
    if (entry.kind === 1) {
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

  function OwnIndex(base) {
    this.base = base;
    this.chunks = new Map();  // number -> promise of Map term -> entry
    this.meta = fetch(base + "meta.gz", { cache: "no-cache" }).then(gunzip).then(function (buffer) {
      var meta = JSON.parse(new TextDecoder().decode(buffer));
      meta.names = meta.chunks.match(/.{12}/g);
      meta.lengthBytes = Uint8Array.from(atob(meta.lengths), function (c) { return c.charCodeAt(0); });
      return meta;
    });
  }

  OwnIndex.prototype.chunk = function (meta, number) {
    if (!this.chunks.has(number)) {
      this.chunks.set(number, fetch(this.base + "c/" + meta.names[number] + ".gz").then(gunzip).then(function (buffer) {
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
      }));
    }
    return this.chunks.get(number);
  };

  OwnIndex.prototype.postings = function (meta, term) {
    var number = fnv1a(new TextEncoder().encode(term)) % meta.names.length;
    return this.chunk(meta, number).then(function (entries) {
      var entry = entries.get(term);
      return entry ? decode(entry) : new Map();
    });
  };

  function words(query) {
    var fold = global.djT2S || function (q) { return q; };
    return fold(query).toLowerCase().split(/\s+/).map(function (word) {
      return word.match(TOKEN) || [];
    }).filter(function (tokens) { return tokens.length; });
  }

  function unique(list) {
    return list.filter(function (item, i) { return list.indexOf(item) === i; });
  }

  function bigrams(tokens) {
    if (tokens.length === 1) return tokens;
    return tokens.slice(1).map(function (token, i) { return tokens[i] + " " + token; });
  }

  // [{id, score, titled}] best first
  OwnIndex.prototype.search = function (query) {
    var self = this, query_ = words(query);
    if (!query_.length) return Promise.resolve([]);
    return this.meta.then(function (meta) {
      var terms = unique([].concat.apply([], query_.map(bigrams)));
      var all = [].concat.apply([], query_);
      var lists = function (names) {
        return Promise.all(names.map(function (term) { return self.postings(meta, term); }));
      };
      return Promise.all([lists(terms), self.postings(meta, titleKey(all))]).then(function (found) {
        var titled = found[1];
        var rank = function (maps) {
          var ids = Array.from(maps[0].keys()).filter(function (id) {
            return maps.every(function (map) { return map.has(id); });
          });
          return ids.map(function (id) {
            var norm = K1 * (1 - B + B * (Math.pow(2, (meta.lengthBytes[id] - 1) / 16) - 1) / meta.average);
            var score = 0;
            maps.forEach(function (map) {
              var df = map.size, level = map.get(id);
              score += Math.log(1 + (meta.pages - df + 0.5) / (df + 0.5)) * level * (K1 + 1) / (level + norm);
            });
            return { id: id, score: score, titled: titled.has(id) };
          });
        };
        var ranked = rank(found[0]);
        var fallback = !ranked.length && query_.some(function (tokens) { return tokens.length > 1; });
        return (fallback ? lists(unique(all)).then(rank) : Promise.resolve(ranked)).then(function (results) {
          return results.sort(function (a, b) {
            return (b.titled - a.titled) || (b.score - a.score) || (a.id - b.id);
          });
        });
      });
    });
  };

  // {url, title, excerpt: a DocumentFragment with the query's words marked}
  OwnIndex.prototype.fragment = function (id, query) {
    return fetch(this.base + "f/" + id + ".gz", { cache: "no-cache" }).then(gunzip).then(function (buffer) {
      var data = JSON.parse(new TextDecoder().decode(buffer));
      var text = data[2].replace(/\n/g, " "), lower = text.toLowerCase();
      var needles = words(query).map(function (tokens) { return tokens.join(""); });
      var first = Math.min.apply(null, needles.map(function (n) { var i = lower.indexOf(n); return i < 0 ? Infinity : i; }));
      var start = first === Infinity ? 0 : Math.max(0, first - 15), window_ = text.slice(start, start + 60);
      var out = document.createDocumentFragment(), lowerWindow = window_.toLowerCase(), at = 0;
      while (at < window_.length) {
        var hit = needles.filter(function (n) { return lowerWindow.startsWith(n, at); })[0];
        if (hit) {
          var mark = document.createElement("mark");
          mark.textContent = window_.slice(at, at + hit.length);
          out.appendChild(mark);
          at += hit.length;
        } else {
          out.appendChild(document.createTextNode(window_[at++]));
        }
      }
      out.normalize();
      return { url: data[0], title: data[1], excerpt: out };
    });
  };

  global.DjOwnIndex = OwnIndex;
})(window);
