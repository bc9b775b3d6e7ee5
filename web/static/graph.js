// The network page: reads the graph from the #graph-data JSON block and draws it with Cytoscape.js.
// Positions come from the server (seeded layout); the view is fitted; the most connected nodes are
// labelled and more labels appear as one zooms in; a click focuses a node's neighbourhood.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("graph-data").textContent);
  const container = document.getElementById("cy");
  const details = document.getElementById("details");
  const tip = document.getElementById("tip");
  const FIRST_LABELS = 30;

  const cy = cytoscape({
    container: container,
    elements: DATA.elements,
    layout: { name: "preset", fit: false },
    minZoom: 0.05,
    maxZoom: 6,
    style: [
      { selector: "node", style: {
        "background-color": "data(colour)", "width": "data(size)", "height": "data(size)",
        "border-width": 1, "border-color": "#333", "label": "", "font-size": 12, "color": "#111",
        "text-valign": "top", "text-margin-y": -3, "text-outline-color": "#fff", "text-outline-width": 2,
        "min-zoomed-font-size": 6, "z-index-compare": "manual", "z-index": 1 } },
      { selector: "node.named", style: { "label": "data(short)", "z-index": 10 } },
      { selector: "node.hub", style: { "font-size": 14, "font-weight": "bold" } },
      { selector: "edge", style: {
        "width": 1, "line-color": "#9a9a9a", "target-arrow-color": "#9a9a9a", "target-arrow-shape": "triangle",
        "arrow-scale": 0.6, "curve-style": "bezier", "opacity": 0.55 } },
      { selector: "edge.named", style: { "label": "data(label)", "font-size": 9, "color": "#444",
        "text-rotation": "autorotate", "text-outline-color": "#fff", "text-outline-width": 2, "opacity": 0.9 } },
      { selector: ".faded", style: { "opacity": 0.08 } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#000" } },
    ],
  });
  window.aihkgNetwork = cy;  // for the browser tests and for curious users

  // Label the most connected nodes first, leaving out a label that would overlap one already
  // shown; the closer one zooms in, the more labels fit (the focused neighbourhood is always named).
  function labelFor(zoom) {
    const fitted = cy.scratch("_fitZoom") || zoom;
    const wanted = Math.round(FIRST_LABELS * Math.pow(Math.max(zoom / fitted, 1), 2));
    const extent = cy.extent();
    const placed = [];
    const overlaps = b => placed.some(o => b.x1 < o.x2 && o.x1 < b.x2 && b.y1 < o.y2 && o.y1 < b.y2);
    let shown = 0;
    cy.batch(() => {
      cy.nodes().removeClass("named hub");
      const ordered = cy.nodes().sort((a, b) => (b.hasClass("near") - a.hasClass("near")) || (a.data("rank") - b.data("rank")));
      ordered.forEach(n => {
        const p = n.position();
        if (shown >= wanted && !n.hasClass("near")) return;
        if (p.x < extent.x1 || p.x > extent.x2 || p.y < extent.y1 || p.y > extent.y2) return;
        n.addClass("named");
        if (n.data("rank") < 10) n.addClass("hub");
        const box = n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true });
        if (overlaps(box) && !n.hasClass("near")) { n.removeClass("named hub"); return; }
        placed.push(box);
        shown += 1;
      });
    });
  }
  let pending = 0;
  function relabelSoon() {
    clearTimeout(pending);
    pending = setTimeout(() => labelFor(cy.zoom()), 80);
  }

  function fitAll(animate) {
    cy.elements().removeClass("faded near");
    cy.edges().removeClass("named");
    if (animate) {
      cy.animate({ fit: { eles: cy.elements(), padding: 30 } }, { duration: 250, complete: () => labelFor(cy.zoom()) });
    } else {
      cy.fit(cy.elements(), 30);
    }
  }

  // Only our own pages or web addresses are links (an IRI from data could be javascript:...).
  const linkable = href => /^(\/(?!\/)|https?:\/\/)/.test(href || "");

  function showDetails(d) {
    details.textContent = "";
    const h = document.createElement("h2");
    const a = document.createElement(linkable(d.href) ? "a" : "span");
    if (linkable(d.href)) a.href = d.href;
    a.textContent = d.label;
    h.appendChild(a);
    details.appendChild(h);
    const kind = document.createElement("div");
    kind.className = "kind";
    kind.textContent = d.cls + " · " + d.curie + " · " + d.degree + " link" + (d.degree === 1 ? "" : "s");
    details.appendChild(kind);
    if (d.description) {
      const p = document.createElement("p");
      p.textContent = d.description;
      details.appendChild(p);
    }
    if (linkable(d.href)) {
      const open = document.createElement("p");
      const link = document.createElement("a");
      link.href = d.href;
      link.textContent = DATA.offline ? "Its IRI" : "Open its page";
      open.appendChild(link);
      details.appendChild(open);
    }
    (d.sources || []).slice(0, 6).forEach(s => {
      const line = document.createElement("div");
      line.className = "muted";
      if (/^https?:\/\//.test(s.url || "")) {
        const src = document.createElement("a");
        src.href = s.url;
        src.rel = "noopener noreferrer";
        src.textContent = s.title;
        line.appendChild(document.createTextNode("Source: "));
        line.appendChild(src);
      } else {
        line.textContent = "Source: " + s.title;
      }
      details.appendChild(line);
    });
  }

  function focusOn(nodes) {
    const near = nodes.closedNeighborhood();
    cy.elements().addClass("faded").removeClass("near");
    near.removeClass("faded");
    near.nodes().addClass("near");
    cy.edges().removeClass("named");
    near.edges().addClass("named");
    cy.animate({ fit: { eles: near, padding: 50 } }, { duration: 250, complete: () => labelFor(cy.zoom()) });
  }

  cy.on("tap", "node", e => { cy.nodes().unselect(); e.target.select(); focusOn(e.target); showDetails(e.target.data()); });
  cy.on("dbltap", "node", e => { if (linkable(e.target.data("href"))) window.location.href = e.target.data("href"); });
  cy.on("tap", e => { if (e.target === cy) fitAll(true); });
  cy.on("zoom pan", relabelSoon);
  cy.on("mouseover", "node", e => {
    const d = e.target.data();
    tip.textContent = "";
    const b = document.createElement("b");
    b.textContent = d.label;
    tip.appendChild(b);
    tip.appendChild(document.createTextNode(d.cls));
    tip.style.display = "block";
  });
  cy.on("mousemove", "node", e => {
    const p = e.renderedPosition;
    tip.style.left = Math.min(p.x + 14, container.clientWidth - 200) + "px";
    tip.style.top = (p.y + 14) + "px";
  });
  cy.on("mouseout", "node", () => { tip.style.display = "none"; });

  document.getElementById("reset").addEventListener("click", () => { cy.nodes().unselect(); fitAll(true); });
  document.getElementById("graph-search").addEventListener("submit", e => {
    e.preventDefault();
    const q = document.getElementById("graph-q").value.trim().toLowerCase();
    if (!q) { fitAll(true); return; }
    const hits = cy.nodes().filter(n => [n.data("label"), n.data("short"), n.data("curie")]
      .some(t => (t || "").toLowerCase().includes(q)));
    cy.nodes().unselect();
    if (hits.length) {
      hits.select();
      focusOn(hits);
      showDetails(hits.sort((a, b) => a.data("rank") - b.data("rank"))[0].data());
    } else {
      details.textContent = "No node matches \u201c" + q + "\u201d.";
    }
  });

  fitAll(false);
  cy.scratch("_fitZoom", cy.zoom());
  labelFor(cy.zoom());
  if (DATA.focus) {
    const start = cy.getElementById(DATA.focus);
    if (start.nonempty()) { start.select(); showDetails(start.data()); }
  }
  document.body.setAttribute("data-ready", "true");
})();
