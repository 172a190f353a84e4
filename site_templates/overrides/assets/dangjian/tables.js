/* dangjian: a table wider than its column scrolls inside its box (dangjian.css); this makes such a box a
   tab stop the arrow keys scroll, named for screen readers after the table's caption or the heading before
   it. A box that fits is no tab stop: the attributes come and go as the window or the table changes size.
   Boxes a template gave its own tabindex are left alone, as are boxes kept for screen readers only. */
(function () {
  "use strict";
  var MADE = "data-dj-scrolls";  // on the boxes whose attributes this script set, so it removes only its own
  var seen = new WeakSet();
  var observer = "ResizeObserver" in window ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { update(boxOf(entry.target)); });
  }) : null;

  // The box of a table or of an inner wrapper: Material wraps template tables a second time, and dangjian.css
  // flattens the inner pair (display: contents), so the outermost wrapper is the one that scrolls.
  function boxOf(el) {
    var box = el.closest(".md-typeset__scrollwrap");
    for (var up = box && box.parentElement; up; up = up.parentElement) {
      if (up.classList.contains("md-typeset__scrollwrap")) box = up;
    }
    return box;
  }

  function scrolls(box) {
    var style = getComputedStyle(box);
    return style.display !== "contents" && (style.overflowX === "auto" || style.overflowX === "scroll") && box.clientWidth > 2;
  }

  function text(el) {
    return el ? el.textContent.replace(/[¶#]\s*$/, "").replace(/\s+/g, " ").trim() : "";
  }

  // The nearest heading before `box`: an earlier sibling of the box or of one of its ancestors, or the last
  // heading inside such a sibling.
  function headingBefore(box) {
    for (var el = box; el && el.tagName !== "ARTICLE" && el !== document.body; el = el.parentElement) {
      for (var prev = el.previousElementSibling; prev; prev = prev.previousElementSibling) {
        if (/^H[1-6]$/.test(prev.tagName)) return text(prev);
        var inner = prev.querySelectorAll("h1, h2, h3, h4, h5, h6");
        if (inner.length) return text(inner[inner.length - 1]);
      }
    }
    return "";
  }

  function name(box) {
    var table = box.querySelector("table");
    var label = text(table && table.querySelector("caption")) || (table && table.getAttribute("aria-label")) || headingBefore(box);
    return (label || "表格") + "，可左右滑动";
  }

  function update(box) {
    if (!box) return;
    var own = box.hasAttribute(MADE);
    if (!own && box.hasAttribute("tabindex")) return;  // the template's own choice
    var wide = scrolls(box) && box.scrollWidth > box.clientWidth + 1;
    if (wide && !own) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name(box));
      box.setAttribute(MADE, "");
    } else if (!wide && own) {
      ["tabindex", "role", "aria-label", MADE].forEach(function (attr) { box.removeAttribute(attr); });
    }
  }

  function scan() {
    document.querySelectorAll(".md-typeset .md-typeset__scrollwrap").forEach(function (wrapper) {
      var box = boxOf(wrapper);
      if (seen.has(box)) return;
      seen.add(box);
      update(box);
      if (observer) {  // the box's width follows the window; the table's follows its rows (a filter hides some)
        observer.observe(box);
        var table = box.querySelector("table");
        if (table) observer.observe(table);
      }
    });
  }

  // Material wraps Markdown tables when it mounts a page (document$ emits then, and again after an instant
  // navigation); without Material's script, the page as loaded.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () { scan(); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scan);
  } else {
    scan();
  }
  window.addEventListener("load", scan);
})();
