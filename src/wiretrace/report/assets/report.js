/* wiretrace HTML report: draws the lineage graphs, documents and pairs from the embedded data.
   Safety: every node is made with createElement/createElementNS and filled with textContent or
   setAttribute (fixed attribute names only); text from the input is never parsed as markup, and
   only http(s) URLs become links. Nothing is fetched: the page works offline. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var PAGE_SIZE = { documents: 50, pairs: 50, clusters: 10 };
  var SECTION = { doc: "documents", pair: "pairs", cluster: "clusters" };
  var PREFIX = { documents: "doc-", pairs: "pair-", clusters: "cluster-" };
  var DIRECTIONS = {
    published: "source published first",
    text: "origin inferred from the texts (credits, update marks, the fuller text, the cluster's tree)",
    unknown: "origin unknown (order as given)"
  };
  var HOUR = 3600000;
  var DAY = 24 * HOUR;

  var DATA = JSON.parse(document.getElementById("wiretrace-data").textContent);
  var docs = DATA.documents;
  var pairs = DATA.pairs;
  var clusters = DATA.clusters;
  var LABELS = DATA.mutationLabels;
  var BOILERPLATE = DATA.boilerplate || [];
  var BOILERPLATE_TITLE = "boilerplate: text this outlet repeats in many of its articles " +
    "(a footer, blurb or bio); not counted as reuse";

  var state = { outlet: "all", from: null, to: null, minSim: 0, query: "" };
  var pages = { documents: 0, pairs: 0, clusters: 0 };
  var openPairs = {};
  var lowered = {};
  var sourceOf = docs.map(function () { return []; });
  pairs.forEach(function (pair, index) { sourceOf[pair.s].push(index); });

  // --- small builders ---------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return parent;
  }

  function svg(tag, attributes) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var name in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, name)) {
        node.setAttribute(name, String(attributes[name]));
      }
    }
    return node;
  }

  function has(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function percent(share) { return Math.round(share * 100) + "%"; }
  function fixed(value) { return Number(value).toFixed(2); }
  function plural(count, word) { return count + " " + word + (count === 1 ? "" : "s"); }

  function isHttp(url) {
    return typeof url === "string" && /^https?:\/\/[^\s\/?#]/i.test(url);
  }

  function mutationTag(type) { return has(LABELS, type) ? LABELS[type][0] : "?"; }
  function mutationName(type) { return has(LABELS, type) ? LABELS[type][1] : String(type); }
  function mutationClass(type) { return "mut mut-" + (has(LABELS, type) ? type : "other"); }

  function tagSpan(type) {
    var span = el("span", mutationClass(type));
    span.setAttribute("data-tag", mutationTag(type));
    span.title = mutationName(type);
    return span;
  }

  function docLink(index) {
    var link = el("a", "goto", docs[index].id);
    link.href = "#doc-" + index;
    return link;
  }

  function when(doc) {
    if (!doc.published) return "undated";
    return doc.published.replace("T", " ").replace(/:00Z$/, " UTC").replace(/Z$/, " UTC");
  }

  function describeDoc(index) {
    var doc = docs[index];
    var parts = [doc.outlet, when(doc)].filter(Boolean);
    return add(document.createDocumentFragment(), docLink(index), " (" + parts.join(", ") + ")");
  }

  function titleLine(doc) {
    var line = el("div", "item-meta");
    var href = isHttp(doc.href) ? doc.href : null;
    var label = doc.title || doc.url;
    if (!label) return null;
    if (href) {
      var link = el("a", null, label);
      link.href = href;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      add(line, link);
    } else {
      add(line, el("span", null, doc.title || ""));
      if (doc.url) add(line, " ", el("span", "muted", "(address, not a web link: " + doc.url + ")"));
    }
    return line;
  }

  function button(text, onClick) {
    var node = el("button", "linkish", text);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  // --- filters ----------------------------------------------------------------------------

  function lower(index, what) {
    var key = what + index;
    if (!has(lowered, key)) {
      var doc = docs[index];
      lowered[key] = what === "meta"
        ? [doc.id, doc.outlet, doc.title, doc.url, doc.published].filter(Boolean).join("\n").toLowerCase()
        : (doc.text || "").toLowerCase();
    }
    return lowered[key];
  }

  function docPasses(index) {
    var doc = docs[index];
    if (state.outlet !== "all" && doc.o !== state.outlet) return false;
    if (state.from !== null || state.to !== null) {
      if (doc.time === null) return false;
      if (state.from !== null && doc.time < state.from) return false;
      if (state.to !== null && doc.time > state.to) return false;
    }
    return true;
  }

  function docMatches(index) {
    var query = state.query;
    return !query || lower(index, "meta").indexOf(query) >= 0 || lower(index, "text").indexOf(query) >= 0;
  }

  function pairMatches(index) {
    var query = state.query;
    var pair = pairs[index];
    if (!query || lower(pair.s, "meta").indexOf(query) >= 0 || lower(pair.t, "meta").indexOf(query) >= 0) {
      return true;
    }
    var source = docs[pair.s].text || "";
    var target = docs[pair.t].text || "";
    return pair.passages.some(function (p) {
      return source.slice(p.ss, p.se).toLowerCase().indexOf(query) >= 0 ||
        target.slice(p.ts, p.te).toLowerCase().indexOf(query) >= 0;
    });
  }

  function edgeStrongEnough(edge) {
    return state.minSim === 0 || (edge.pair !== null && pairs[edge.pair].similarity >= state.minSim);
  }

  function clusterDocs(cluster) {
    var seen = {};
    var out = [];
    cluster.members.forEach(function (member) {
      if (!seen[member[0]]) { seen[member[0]] = true; out.push(member[0]); }
    });
    cluster.edges.forEach(function (edge) {
      [edge.parent, edge.child].forEach(function (index) {
        if (!seen[index]) { seen[index] = true; out.push(index); }
      });
    });
    return out;
  }

  var visible = {
    documents: function () {
      var out = [];
      for (var i = 0; i < docs.length; i++) {
        if (!docPasses(i)) continue;
        if (state.minSim > 0 && docs[i].best < state.minSim) continue;
        if (docMatches(i)) out.push(i);
      }
      return out;
    },
    pairs: function () {
      var out = [];
      for (var i = 0; i < pairs.length; i++) {
        var pair = pairs[i];
        if (pair.similarity < state.minSim) continue;
        if (!docPasses(pair.s) && !docPasses(pair.t)) continue;
        if (pairMatches(i)) out.push(i);
      }
      return out;
    },
    clusters: function () {
      var out = [];
      for (var i = 0; i < clusters.length; i++) {
        var members = clusterDocs(clusters[i]);
        var shown = members.some(function (index) { return docPasses(index) && docMatches(index); });
        if (shown && (state.minSim === 0 || clusters[i].edges.some(edgeStrongEnough))) out.push(i);
      }
      return out;
    }
  };

  // --- paging -----------------------------------------------------------------------------

  function pager(kind, total) {
    var size = PAGE_SIZE[kind];
    var count = Math.max(1, Math.ceil(total / size));
    var nav = el("nav", "pager");
    nav.setAttribute("aria-label", kind + " pages");
    var previous = el("button", null, "Previous");
    previous.type = "button";
    previous.disabled = pages[kind] === 0;
    previous.addEventListener("click", function () { turn(kind, -1); });
    var next = el("button", null, "Next");
    next.type = "button";
    next.disabled = pages[kind] >= count - 1;
    next.addEventListener("click", function () { turn(kind, 1); });
    var first = pages[kind] * size;
    var label = el("span", "page-label",
      "Page " + (pages[kind] + 1) + " of " + count + " (" + (first + 1) + "–" +
      Math.min(total, first + size) + " of " + total + ")");
    return add(nav, previous, label, next);
  }

  function turn(kind, step) {
    pages[kind] += step;
    renderSection(kind);
    document.getElementById(kind === "clusters" ? "lineage" : kind).scrollIntoView({ block: "start" });
  }

  var containers = {
    documents: document.getElementById("document-list"),
    pairs: document.getElementById("pair-list"),
    clusters: document.getElementById("clusters")
  };
  var renderers = {
    documents: function (index) { return renderDocument(index); },
    pairs: function (index) { return renderPair(index); },
    clusters: function (index) { return renderCluster(index); }
  };

  function renderSection(kind) {
    var list = visible[kind]();
    var container = containers[kind];
    container.textContent = "";
    var size = PAGE_SIZE[kind];
    var count = Math.max(1, Math.ceil(list.length / size));
    if (pages[kind] > count - 1) pages[kind] = count - 1;
    if (list.length === 0) {
      add(container, el("p", "empty", "Nothing here matches the filters."));
      return list;
    }
    var paged = list.length > size;
    if (paged) add(container, pager(kind, list.length));
    list.slice(pages[kind] * size, (pages[kind] + 1) * size).forEach(function (index) {
      add(container, renderers[kind](index));
    });
    if (paged) add(container, pager(kind, list.length));
    return list;
  }

  function renderAll() {
    var shown = {
      clusters: renderSection("clusters").length,
      documents: renderSection("documents").length,
      pairs: renderSection("pairs").length
    };
    document.getElementById("f-count").textContent =
      "Showing " + shown.documents + " of " + plural(docs.length, "document") + ", " +
      shown.pairs + " of " + plural(pairs.length, "pair") + ", " +
      shown.clusters + " of " + plural(clusters.length, "cluster");
  }

  function goTo(kind, index) {
    var section = SECTION[kind];
    var list = visible[section]();
    var position = list.indexOf(index);
    if (position < 0) {
      resetFilters();
      list = visible[section]();
      position = list.indexOf(index);
      if (position < 0) return;
    }
    pages[section] = Math.floor(position / PAGE_SIZE[section]);
    if (section === "pairs") openPairs[index] = true;
    renderAll();
    var node = document.getElementById(PREFIX[section] + index);
    if (!node) return;
    node.scrollIntoView({ block: "start" });
    node.classList.add("flash");
    setTimeout(function () { node.classList.remove("flash"); }, 1600);
  }

  // --- documents --------------------------------------------------------------------------

  function renderDocument(index) {
    var doc = docs[index];
    var item = el("article", "item");
    item.id = "doc-" + index;
    item.setAttribute("data-doc", doc.id);
    var heading = add(el("h3"), el("span", "doc-id", doc.id));
    var meta = [doc.outlet || "no outlet", when(doc), doc.length.toLocaleString("en") + " characters"];
    add(item, heading, el("div", "item-meta muted", meta.join(" · ")), titleLine(doc));
    if (doc.sources.length) {
      var bar = el("div", "bar");
      bar.setAttribute("role", "img");
      var spoken = [];
      var list = el("ul", "shares");
      doc.sources.forEach(function (entry, rank) {
        var pair = pairs[entry[0]];
        var source = docs[pair.s];
        var segment = el("div", "seg s" + (rank % 8), entry[1] >= 0.04 ? String(rank + 1) : "");
        segment.style.width = (entry[1] * 100) + "%";
        segment.title = (rank + 1) + ". " + source.id + (source.outlet ? " (" + source.outlet + ")" : "") +
          ": " + percent(entry[2]) + " of this document found there" +
          (rank > 0 ? ", " + percent(entry[1]) + " beyond the sources before it" : "");
        add(bar, segment);
        spoken.push(source.id + " " + percent(entry[1]));
        var row = el("li");
        add(row, el("span", "swatch s" + (rank % 8), String(rank + 1)), docLink(pair.s));
        if (source.outlet) add(row, " ", el("span", "muted", source.outlet));
        add(row, ": " + percent(entry[2]) + " of it found there" +
          (rank > 0 ? ", " + percent(entry[1]) + " beyond the sources above" : "") + " ",
          button("side by side", function () { goTo("pair", entry[0]); }));
        add(list, row);
      });
      var own = el("div", "seg own", doc.own >= 0.06 ? "own" : "");
      own.style.width = (doc.own * 100) + "%";
      own.title = "own words: " + percent(doc.own);
      add(bar, own);
      bar.setAttribute("aria-label", "Where its words come from: " + spoken.join(", ") +
        ", own " + percent(doc.own));
      add(list, add(el("li", "own-share"), el("span", "swatch own"),
        "its own words: " + percent(doc.own)));
      add(item, bar, list);
    } else {
      add(item, el("p", "item-meta muted", "Takes no text from another document in this report."));
    }
    if (sourceOf[index].length) {
      add(item, el("p", "item-meta muted", "Source of " + plural(sourceOf[index].length, "other document") +
        " in this report."));
    }
    if (doc.boilerplate) add(item, renderBoilerplate(doc));
    return item;
  }

  // Text the document's outlet repeats in many of its articles: listed, greyed, not reuse.
  function renderBoilerplate(doc) {
    var details = el("details", "boilerplate");
    add(details, add(el("summary"), "Boilerplate: " + plural(doc.boilerplate.length, "span") +
      " (text its outlet repeats in many articles; not counted as reuse)"));
    var list = el("ul", "boilerplate-spans");
    doc.boilerplate.forEach(function (span) {
      var at = span.length > 3 ? [span[3], span[4]] : [span[0], span[1]];
      var text = el("span", "bp", shorten(BOILERPLATE[span[2]] || "", 300));
      text.title = BOILERPLATE_TITLE;
      add(list, add(el("li"), el("span", "muted", "characters " + at[0] + "–" + at[1] + ": "), text));
    });
    add(details, list);
    return details;
  }

  // A document's boilerplate spans as ranges of its text (UTF-16 offsets).
  function boilerplateRanges(doc) {
    return (doc.boilerplate || []).map(function (span) { return { a: span[0], b: span[1] }; });
  }

  // --- pairs ------------------------------------------------------------------------------

  function renderPair(index) {
    var pair = pairs[index];
    var details = el("details", "pair item");
    details.id = "pair-" + index;
    details.setAttribute("data-source", docs[pair.s].id);
    details.setAttribute("data-target", docs[pair.t].id);
    var edits = pair.passages.reduce(function (sum, p) { return sum + p.edits.length; }, 0);
    var summary = add(el("summary"),
      el("strong", null, docs[pair.s].id), " → ", el("strong", null, docs[pair.t].id), " ",
      el("span", "sim", "similarity " + fixed(pair.similarity)),
      el("span", "muted", " · " + plural(pair.passages.length, "passage") + " · " + plural(edits, "edit")));
    if (pair.edge) add(summary, " ", el("span", "badge", "lineage hop"));
    add(details, summary);
    var body = el("div", "pair-body");
    add(details, body);
    details.addEventListener("toggle", function () {
      if (details.open) {
        openPairs[index] = true;
        if (!body.firstChild) renderPairBody(index, body);
      } else {
        delete openPairs[index];
      }
    });
    if (openPairs[index]) {
      details.open = true;
      renderPairBody(index, body);
    }
    return details;
  }

  function pairMarks(pair) {
    var marks = { s: [], t: [] };
    if (!pair.edge) return marks;
    var edge = clusters[pair.edge[0]].edges[pair.edge[1]];
    edge.mutations.forEach(function (m) {
      var parent = { a: m[1], b: m[2], type: m[0] };
      var child = { a: m[3], b: m[4], type: m[0] };
      var onSource = pair.reversed ? child : parent;
      var onTarget = pair.reversed ? parent : child;
      if (onSource.b > onSource.a) marks.s.push(onSource);
      if (onTarget.b > onTarget.a) marks.t.push(onTarget);
    });
    marks.s.sort(function (x, y) { return x.a - y.a; });
    marks.t.sort(function (x, y) { return x.a - y.a; });
    return marks;
  }

  function renderPairBody(index, body) {
    var pair = pairs[index];
    var source = docs[pair.s];
    var target = docs[pair.t];
    add(body,
      add(el("p", "item-meta"), "Source ", describeDoc(pair.s), ": " + percent(pair.source_coverage) +
        " of it reused. Target ", describeDoc(pair.t), ": " + percent(pair.target_coverage) +
        " of it reused. Direction: " + (DIRECTIONS[pair.direction] || pair.direction) + "."));
    if (pair.edge) {
      var cluster = clusters[pair.edge[0]];
      var edge = cluster.edges[pair.edge[1]];
      var hop = add(el("p", "item-meta"), "Lineage hop in cluster ");
      var clusterLink = el("a", "goto", cluster.id);
      clusterLink.href = "#cluster-" + pair.edge[0];
      add(hop, clusterLink, ": ", docLink(edge.parent), " → ", docLink(edge.child),
        ", confidence " + fixed(edge.confidence) + ". Each mutation is marked with its type.");
      add(body, hop);
    }
    var marks = pairMarks(pair);
    marks.bp = { s: boilerplateRanges(source), t: boilerplateRanges(target) };
    var table = el("table", "sbs");
    add(table, add(el("colgroup"), el("col"), el("col")));
    add(table, add(el("thead"), add(el("tr"),
      el("th", null, "source: " + source.id), el("th", null, "target: " + target.id))));
    var tbody = el("tbody");
    pair.passages.forEach(function (passage, number) {
      if (number > 0) gapRow(tbody, pair.passages[number - 1], passage, source.text || "", target.text || "", marks);
      var at = passage.cp || [passage.ss, passage.se, passage.ts, passage.te];
      var head = el("th", null,
        "Passage " + (number + 1) + ": source " + at[0] + "–" + at[1] + ", target " + at[2] + "–" +
        at[3] + " · similarity " + fixed(passage.similarity) + " · " + passage.kind + " · " +
        plural(passage.matched, "word") + " matched · " + plural(passage.edits.length, "edit"));
      head.colSpan = 2;
      add(tbody, add(el("tr", "passage-head"), head));
      alignedRows(passage, source.text || "", target.text || "").forEach(function (row) {
        var left = el("td", "src");
        var right = el("td", "tgt");
        row.s.forEach(function (part) { renderPiece(left, source.text || "", part, "s", marks.s, marks.bp.s); });
        row.t.forEach(function (part) { renderPiece(right, target.text || "", part, "t", marks.t, marks.bp.t); });
        add(tbody, add(el("tr"), left, right));
      });
    });
    add(table, tbody);
    add(body, table);
  }

  var GAP_CHARS = 1500;

  // The text between two passages, on each side: not reused, but where added sentences are.
  function gapRow(tbody, before, after, sourceText, targetText, marks) {
    var sides = [[before.se, after.ss, sourceText, "s"], [before.te, after.ts, targetText, "t"]];
    if (sides.every(function (side) { return !sideText(side).trim(); })) return;
    var row = el("tr", "gap-row");
    sides.forEach(function (side) {
      var cell = el("td");
      var text = sideText(side);
      if (text.trim()) {
        var end = Math.min(side[1], side[0] + GAP_CHARS);
        add(cell, el("div", "gap-label", "not in a passage (" + (side[1] - side[0]) + " characters):"));
        var body = el("div", "gap-text");
        renderPiece(body, side[2], { a: side[0], b: end, op: null }, side[3], marks[side[3]], marks.bp[side[3]]);
        if (end < side[1]) add(body, " …");
        add(cell, body);
      }
      add(row, cell);
    });
    add(tbody, row);
  }

  function sideText(side) {
    return side[1] > side[0] ? side[2].slice(side[0], side[1]) : "";
  }

  // The passage as rows of aligned text: unchanged text is the same on both sides, so rows break
  // at its line ends and each row holds the same paragraph on the left and on the right.
  function alignedRows(passage, sourceText, targetText) {
    var rows = [];
    var row = { s: [], t: [] };
    var s = passage.ss;
    var t = passage.ts;
    function keep(end) {
      while (s < end) {
        var newline = sourceText.indexOf("\n", s);
        var stop = newline < 0 || newline >= end ? end : newline;
        row.s.push({ a: s, b: stop, op: null });
        row.t.push({ a: t, b: t + (stop - s), op: null });
        t += stop - s;
        s = stop;
        if (stop < end) {
          // The line end closes the row; the next row starts after it.
          while (s < end && /[\r\n]/.test(sourceText.charAt(s))) { s++; t++; }
          flush();
        }
      }
    }
    function flush() {
      var blank = function (parts, text) {
        return parts.every(function (part) { return !text.slice(part.a, part.b).trim(); });
      };
      if (!(blank(row.s, sourceText) && blank(row.t, targetText))) rows.push(row);
      row = { s: [], t: [] };
    }
    passage.edits.forEach(function (edit) {
      keep(edit[1]);
      row.s.push({ a: edit[1], b: edit[2], op: edit[0] });
      row.t.push({ a: edit[3], b: edit[4], op: edit[0] });
      s = edit[2];
      t = edit[4];
    });
    keep(passage.se);
    flush();
    return rows;
  }

  function markAt(marks, offset) {
    for (var i = 0; i < marks.length; i++) {
      if (marks[i].a <= offset && offset < marks[i].b) return marks[i];
    }
    return null;
  }

  function renderPiece(cell, text, part, side, marks, boilerplate) {
    if (part.a >= part.b) {
      if (part.op) {
        var gap = el("span", "gap", "‸");
        gap.title = side === "s" ? "words inserted in the target" : "words deleted from the source";
        add(cell, gap);
      }
      return;
    }
    var cuts = [part.a, part.b];
    marks.concat(boilerplate).forEach(function (mark) {
      if (mark.b > part.a && mark.a < part.b) {
        if (mark.a > part.a) cuts.push(mark.a);
        if (mark.b < part.b) cuts.push(mark.b);
      }
    });
    cuts.sort(function (x, y) { return x - y; });
    for (var i = 0; i + 1 < cuts.length; i++) {
      var from = cuts[i];
      var to = cuts[i + 1];
      if (from >= to) continue;
      var piece = text.slice(from, to);
      var mark = markAt(marks, from);
      var boiler = markAt(boilerplate, from);
      var classes = [];
      if (part.op) classes.push(side === "s" ? "ed ed-src" : "ed ed-tgt");
      if (mark) classes.push(mutationClass(mark.type));
      if (boiler) classes.push("bp");
      if (!classes.length) {
        add(cell, piece);
        continue;
      }
      var span = el("span", classes.join(" "), piece);
      if (mark) {
        span.title = mutationName(mark.type);
        span.setAttribute("data-type", mark.type);
        if (mark.a === from) span.setAttribute("data-tag", mutationTag(mark.type));
      } else if (part.op) {
        span.title = side === "s" ? "changed in the target" : "changed from the source";
      } else {
        span.title = BOILERPLATE_TITLE;
      }
      add(cell, span);
    }
  }

  // --- clusters and their lineage graphs --------------------------------------------------

  function shorten(text, limit) {
    var flat = text.replace(/\s+/g, " ").trim();
    return flat.length <= limit ? flat : flat.slice(0, limit - 1) + "…";
  }

  function mutationCounts(edge) {
    var counts = {};
    var order = [];
    edge.mutations.forEach(function (m) {
      if (!has(counts, m[0])) { counts[m[0]] = 0; order.push(m[0]); }
      counts[m[0]] += 1;
    });
    order.sort(function (x, y) { return counts[y] - counts[x]; });
    return order.map(function (type) { return [type, counts[type]]; });
  }

  function renderCluster(index) {
    var cluster = clusters[index];
    var members = clusterDocs(cluster);
    var item = el("article", "item");
    item.id = "cluster-" + index;
    item.setAttribute("data-cluster", cluster.id);
    add(item, add(el("h3"), "Cluster " + cluster.id),
      add(el("div", "item-meta"), cluster.kind + " · " + plural(members.length, "document") +
        " · origin ", describeDoc(cluster.root)));
    if (cluster.kind === "quote") {
      add(item, el("p", "muted", "A quotation the outlets carry independently, not copied from one another."));
    }
    if (cluster.versions.length) {
      var versions = add(el("p", "item-meta"), "Versions of one story: ");
      cluster.versions.forEach(function (version, number) {
        if (number) add(versions, ", ");
        add(versions, docLink(version[0]));
        if (version[1]) add(versions, " (" + version[1] + ")");
      });
      add(item, versions);
    }
    add(item, add(el("div", "graph-wrap"), renderGraph(index, members)));
    var hops = el("details", "hops");
    hops.open = cluster.edges.length <= 12;
    add(hops, el("summary", null, "Hops and their mutations (" + cluster.edges.length + ")"));
    var list = el("ul", "edges");
    cluster.edges.forEach(function (edge) { add(list, renderEdge(edge)); });
    add(hops, list);
    add(item, hops);
    return item;
  }

  function renderEdge(edge) {
    var row = el("li", "edge-item");
    row.setAttribute("data-parent", docs[edge.parent].id);
    row.setAttribute("data-child", docs[edge.child].id);
    add(row, docLink(edge.parent), " → ", docLink(edge.child),
      el("span", "muted", " · confidence " + fixed(edge.confidence) + " · " +
        (edge.credited ? "credits " + (edge.credit || "its source") : "no credit") + " "));
    mutationCounts(edge).forEach(function (entry) {
      add(row, tagSpan(entry[0]), el("span", "muted", "× " + entry[1] + " "));
    });
    if (edge.pair !== null) {
      add(row, button("side by side", function () { goTo("pair", edge.pair); }));
    }
    var parentText = docs[edge.parent].text || "";
    var childText = docs[edge.child].text || "";
    var list = el("ul", "mutations");
    edge.mutations.forEach(function (m) {
      var before = parentText.slice(m[1], m[2]);
      var after = childText.slice(m[3], m[4]);
      var line = add(el("li"), tagSpan(m[0]), " ");
      line.setAttribute("data-type", m[0]);
      if (before.trim() && after.trim()) {
        add(line, el("span", "was", shorten(before, 300)), " → ", el("span", "now", shorten(after, 300)));
      } else if (after.trim()) {
        add(line, "added ", el("span", "now", shorten(after, 300)));
      } else {
        add(line, "removed ", el("span", "was", shorten(before, 300)));
      }
      add(list, line);
    });
    if (edge.mutations.length) add(row, list);
    return row;
  }

  function ticks(start, end) {
    var steps = [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY,
      30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY, 730 * DAY, 1826 * DAY, 3652 * DAY];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) {
      if ((end - start) / steps[i] <= 8) { step = steps[i]; break; }
    }
    var out = [];
    for (var t = Math.ceil(start / step) * step; t <= end; t += step) out.push(t);
    return { step: step, values: out };
  }

  function tickLabel(time, step) {
    var iso = new Date(time).toISOString();
    return step < DAY ? iso.slice(5, 10) + " " + iso.slice(11, 16) : iso.slice(0, 10);
  }

  function renderGraph(index, members) {
    var cluster = clusters[index];
    var children = {};
    var hasParent = {};
    cluster.edges.forEach(function (edge, number) {
      (children[edge.parent] = children[edge.parent] || []).push(number);
      hasParent[edge.child] = true;
    });
    var byTime = function (a, b) {
      var ta = docs[a].time === null ? Infinity : docs[a].time;
      var tb = docs[b].time === null ? Infinity : docs[b].time;
      return ta !== tb ? ta - tb : (docs[a].id < docs[b].id ? -1 : 1);
    };
    var order = [];
    var placed = {};
    function visit(node) {
      if (placed[node]) return;
      placed[node] = true;
      order.push(node);
      (children[node] || []).map(function (number) { return cluster.edges[number].child; })
        .sort(byTime).forEach(visit);
    }
    var starts = cluster.roots.length ? cluster.roots.slice() : [cluster.root];
    members.filter(function (node) { return !hasParent[node]; }).sort(byTime).forEach(function (node) {
      if (starts.indexOf(node) < 0) starts.push(node);
    });
    starts.forEach(visit);
    members.slice().sort(byTime).forEach(visit);

    var times = order.map(function (node) { return docs[node].time; })
      .filter(function (time) { return time !== null; });
    var undated = order.some(function (node) { return docs[node].time === null; });
    var width = 1000;
    var top = undated ? 34 : 18;
    var rowHeight = 40;
    var x0 = 30;
    var x1 = 580;
    var xUndated = 650;
    var tMin = times.length ? Math.min.apply(null, times) : 0;
    var tMax = times.length ? Math.max.apply(null, times) : 0;
    if (tMax - tMin < HOUR) { tMin -= HOUR / 2; tMax += HOUR / 2; }
    var pad = (tMax - tMin) * 0.03;
    tMin -= pad;
    tMax += pad;
    var axisY = top + order.length * rowHeight;
    var height = axisY + 44;
    var position = {};
    order.forEach(function (node, row) {
      var time = docs[node].time;
      position[node] = {
        x: time === null ? xUndated : x0 + (time - tMin) / (tMax - tMin) * (x1 - x0),
        y: top + row * rowHeight + 10
      };
    });

    var graph = svg("svg", {
      "class": "lineage", viewBox: "0 0 " + width + " " + height, role: "img",
      width: width, height: height
    });
    graph.setAttribute("aria-label", "Lineage of cluster " + cluster.id + ": " +
      plural(order.length, "document") + ", " + plural(cluster.edges.length, "hop") +
      ", placed by publication time");
    var markerId = "wt-arrow-" + index;
    var marker = svg("marker", {
      id: markerId, viewBox: "0 0 10 10", refX: 17, refY: 5, markerWidth: 9, markerHeight: 9,
      markerUnits: "userSpaceOnUse", orient: "auto"
    });
    add(marker, svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#4a5560" }));
    add(graph, add(svg("defs", {}), marker));

    var axis = svg("g", { "class": "axis" });
    add(axis, svg("line", { x1: x0, y1: axisY, x2: x1, y2: axisY }));
    if (times.length) {
      var scale = ticks(tMin, tMax);
      scale.values.forEach(function (time) {
        var x = x0 + (time - tMin) / (tMax - tMin) * (x1 - x0);
        add(axis, svg("line", { "class": "grid", x1: x, y1: top - 8, x2: x, y2: axisY }));
        add(axis, svg("line", { x1: x, y1: axisY, x2: x, y2: axisY + 5 }));
        var label = svg("text", { "class": "tick", x: x, y: axisY + 18, "text-anchor": "middle" });
        label.textContent = tickLabel(time, scale.step);
        add(axis, label);
      });
    }
    var caption = svg("text", { "class": "tick", x: x1, y: axisY + 36, "text-anchor": "end" });
    caption.textContent = "published (UTC) →";
    add(axis, caption);
    if (undated) {
      var laneX = (x1 + xUndated) / 2;
      add(axis, svg("line", { "class": "lane", x1: laneX, y1: top - 20, x2: laneX, y2: axisY + 20 }));
      var lane = svg("text", { "class": "tick lane-label", x: xUndated, y: top - 14, "text-anchor": "middle" });
      lane.textContent = "undated";
      add(axis, lane);
    }
    add(graph, axis);

    var visibleNode = function (node) { return docPasses(node) && docMatches(node); };
    cluster.edges.forEach(function (edge) {
      var from = position[edge.parent];
      var to = position[edge.child];
      if (!from || !to) return;
      var classes = "edge" + (edge.credited ? "" : " uncredited") +
        (edgeStrongEnough(edge) && visibleNode(edge.parent) && visibleNode(edge.child) ? "" : " dim");
      var group = svg("g", { "class": classes });
      group.setAttribute("data-parent", docs[edge.parent].id);
      group.setAttribute("data-child", docs[edge.child].id);
      var middle = (from.x + to.x) / 2;
      var path = svg("path", {
        d: "M" + from.x + "," + from.y + " C" + middle + "," + from.y + " " + middle + "," + to.y +
          " " + to.x + "," + to.y,
        "marker-end": "url(#" + markerId + ")"
      });
      var counts = mutationCounts(edge);
      var title = svg("title", {});
      title.textContent = docs[edge.parent].id + " → " + docs[edge.child].id + ": confidence " +
        fixed(edge.confidence) + ", " + (edge.credited ? "credits " + (edge.credit || "its source") : "no credit") +
        "; " + (counts.length ? counts.map(function (entry) {
          return mutationName(entry[0]) + " × " + entry[1];
        }).join(", ") : "no changes");
      add(path, title);
      var label = svg("text", { "class": "edge-label", x: to.x + 12, y: to.y + 17 });
      label.textContent = (counts.length ? counts.map(function (entry) {
        return mutationTag(entry[0]) + " " + entry[1];
      }).join(" · ") : "unchanged") + (edge.credited ? "" : " · no credit");
      add(group, path, label);
      add(graph, group);
    });

    order.forEach(function (node) {
      var doc = docs[node];
      var at = position[node];
      var isRoot = cluster.roots.indexOf(node) >= 0 || node === cluster.root;
      var group = svg("g", { "class": "node" + (isRoot ? " root" : "") + (visibleNode(node) ? "" : " dim") });
      group.setAttribute("data-doc", doc.id);
      var circle = svg("circle", { cx: at.x, cy: at.y, r: isRoot ? 8 : 6 });
      var tip = svg("title", {});
      tip.textContent = doc.id + (doc.outlet ? " · " + doc.outlet : "") + " · " + when(doc) +
        (doc.title ? "\n" + doc.title : "");
      add(circle, tip);
      var label = svg("text", { x: at.x + 12, y: at.y + 4 });
      var name = svg("tspan", { "class": "node-title" });
      name.textContent = shorten(doc.id, 36);
      var rest = svg("tspan", { fill: "#5b6470" });
      var version = cluster.versions.filter(function (v) { return v[0] === node && v[1]; });
      rest.textContent = (doc.outlet ? " · " + shorten(doc.outlet, 32) : "") +
        (version.length ? " · " + version[0][1] : "") + (isRoot ? " · origin" : "");
      add(label, name, rest);
      var link = svg("a", { href: "#doc-" + node, "class": "goto" });
      add(link, circle, label);
      add(group, link);
      add(graph, group);
    });
    return graph;
  }

  // --- controls ---------------------------------------------------------------------------

  var form = document.getElementById("filters");
  var outletInput = document.getElementById("f-outlet");
  var fromInput = document.getElementById("f-from");
  var toInput = document.getElementById("f-to");
  var simInput = document.getElementById("f-sim");
  var simOutput = document.getElementById("f-sim-value");
  var searchInput = document.getElementById("f-search");

  function dayStart(value) {
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    return match ? Date.UTC(+match[1], +match[2] - 1, +match[3]) : null;
  }

  function readFilters() {
    state.outlet = outletInput.value === "all" ? "all" : parseInt(outletInput.value, 10);
    state.from = dayStart(fromInput.value);
    var to = dayStart(toInput.value);
    state.to = to === null ? null : to + DAY - 1;
    state.minSim = parseFloat(simInput.value) || 0;
    simOutput.textContent = state.minSim.toFixed(2);
    state.query = searchInput.value.trim().toLowerCase();
  }

  function applyFilters() {
    readFilters();
    pages.documents = pages.pairs = pages.clusters = 0;
    renderAll();
  }

  function resetFilters() {
    form.reset();
    readFilters();
  }

  var searchTimer = null;
  outletInput.addEventListener("change", applyFilters);
  fromInput.addEventListener("change", applyFilters);
  toInput.addEventListener("change", applyFilters);
  simInput.addEventListener("input", applyFilters);
  searchInput.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applyFilters, 150);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); applyFilters(); });
  form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });

  document.addEventListener("click", function (event) {
    var target = event.target;
    var link = target && target.closest ? target.closest("a") : null;
    if (!link) return;
    var href = link.getAttribute("href") || "";
    var match = /^#(doc|pair|cluster)-(\d+)$/.exec(href);
    if (!match) return;
    event.preventDefault();
    goTo(match[1], parseInt(match[2], 10));
  });

  readFilters();
  renderAll();
  var initial = /^#(doc|pair|cluster)-(\d+)$/.exec(window.location.hash);
  if (initial) goTo(initial[1], parseInt(initial[2], 10));
  document.documentElement.setAttribute("data-ready", "true");
})();
