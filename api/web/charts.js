// Two small inline-SVG charts (no library): stacked bars by agency and a monthly trend.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = { early: "#2e7d32", on_time: "#1565c0", late: "#b00020", open_late: "#ef6c00" };

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function frame(id, width, height, title) {
    const root = svg("svg", { id, class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
    root.append(svg("title", {}, title));
    return root;
  }

  function legend(root, keys, labels, x, y) {
    keys.forEach((k, i) => {
      root.append(svg("rect", { x: x + i * 95, y, width: 10, height: 10, fill: COLORS[k] }));
      root.append(svg("text", { x: x + i * 95 + 14, y: y + 9 }, labels[k]));
    });
  }

  // rows: [{label, early, on_time, late}] -> horizontal stacked bars, one per row
  function barsByAgency(id, rows, labels) {
    const keys = ["early", "on_time", "late"];
    const width = 520, barH = 18, top = 24, left = 150;
    const height = top + rows.length * (barH + 8) + 10;
    const root = frame(id, width, height, "Hồ sơ đã giải quyết theo cơ quan");
    legend(root, keys, labels, left, 4);
    const max = Math.max(1, ...rows.map((r) => keys.reduce((s, k) => s + r[k], 0)));
    rows.forEach((r, i) => {
      const y = top + i * (barH + 8);
      root.append(svg("text", { x: 0, y: y + 13 }, r.label.length > 24 ? r.label.slice(0, 23) + "…" : r.label));
      let x = left;
      for (const k of keys) {
        const w = (width - left - 40) * r[k] / max;
        if (r[k] > 0) {
          root.append(svg("rect", { x, y, width: w, height: barH, fill: COLORS[k], "data-key": k,
            "data-value": r[k], "data-row": r.label }));
        }
        x += w;
      }
      root.append(svg("text", { x: x + 4, y: y + 13 }, keys.reduce((s, k) => s + r[k], 0)));
    });
    return root;
  }

  // points: [{label, early, on_time, late}] by month -> grouped columns
  function trend(id, points, labels) {
    const keys = ["early", "on_time", "late"];
    const width = 520, height = 220, left = 30, bottom = 30, top = 24;
    const root = frame(id, width, height, "Xu hướng theo tháng");
    legend(root, keys, labels, left, 4);
    const max = Math.max(1, ...points.flatMap((p) => keys.map((k) => p[k])));
    const slot = (width - left) / Math.max(1, points.length);
    const colW = Math.max(2, slot / (keys.length + 1));
    const plotH = height - top - bottom;
    root.append(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#999" }));
    root.append(svg("text", { x: 0, y: top + 10 }, max));
    points.forEach((p, i) => {
      keys.forEach((k, j) => {
        const h = plotH * p[k] / max;
        root.append(svg("rect", { x: left + i * slot + j * colW, y: height - bottom - h, width: colW - 1, height: h,
          fill: COLORS[k], "data-key": k, "data-value": p[k], "data-period": p.label }));
      });
      root.append(svg("text", { x: left + i * slot, y: height - bottom + 14 }, p.label.slice(2)));
    });
    return root;
  }

  return { barsByAgency, trend };
})();
