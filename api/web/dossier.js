// A dossier's path: the diagram of the version it runs on (bpmn-js viewer) with its completed,
// current and late steps marked, and the process control sheet beside it (N-2, N-7).
"use strict";

(() => {
  const { el, api, fmt } = Motcua;
  const root = document.getElementById("root");
  const id = location.pathname.split("/").filter(Boolean).pop();
  const CLASS = { early: "Trước hạn", on_time: "Đúng hạn", late: "Quá hạn" };

  function sheet(path) {
    return el("table", { id: "control-sheet" },
      el("thead", {}, el("tr", {}, ["Bước", "Cơ quan", "Người xử lý", "Nhận", "Hạn", "Xong", "Kết quả"]
        .map((h) => el("th", {}, h)))),
      el("tbody", {}, path.sheet.map((s) => el("tr", { "data-element-id": s.element_id },
        el("td", {}, s.name), el("td", {}, s.agency), el("td", {}, s.who || ""),
        el("td", {}, fmt.time(s.received_at)), el("td", {}, fmt.time(s.due_at)), el("td", {}, fmt.time(s.done_at)),
        el("td", { class: s.timeliness || "" }, s.timeliness ? CLASS[s.timeliness] : (s.done_at ? "" : "Đang xử lý"))))));
  }

  async function load() {
    const path = await api(`/api/dossiers/${encodeURIComponent(id)}/path`);
    const canvasBox = el("div", { id: "canvas" });
    root.replaceChildren(
      el("section", { class: "card" },
        el("h2", {}, `Hồ sơ ${path.code}`),
        el("p", {}, `${path.procedure_code} (phiên bản ${path.procedure_version}) · trạng thái ${path.status}` +
          (path.due_at ? ` · hẹn trả ${fmt.time(path.due_at)}` : "") +
          (path.timeliness ? ` · ${CLASS[path.timeliness]}` : ""))),
      el("div", { class: "path" },
        el("section", { class: "card" }, canvasBox,
          el("p", { class: "legend" }, el("span", { class: "done" }, el("i"), "Đã xong"),
            el("span", { class: "current" }, el("i"), "Đang chờ"), el("span", { class: "late-mark" }, el("i"), "Quá hạn"))),
        el("section", { class: "card" }, el("h3", {}, "Phiếu kiểm soát quá trình giải quyết hồ sơ"), sheet(path))));
    if (typeof BpmnJS === "undefined") {
      canvasBox.append(el("p", { class: "error" },
        "bpmn-js is not installed: run `python3 dev.py setup` (needs npm), then reload."));
      return;
    }
    const viewer = new BpmnJS({ container: canvasBox });
    try {
      await viewer.importXML(path.diagram);
    } catch (err) {  // e.g. a diagram written without its layout (no BPMNDiagram): the sheet still says it all
      canvasBox.replaceChildren(el("p", { class: "error" }, `Không vẽ được sơ đồ ${path.diagram_file}: ${err.message}`));
      document.body.dataset.ready = "true";
      return;
    }
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const mark = (ids, cls) => ids.forEach((e) => { if (registry.get(e)) canvas.addMarker(e, cls); });
    mark(path.completed, "motcua-done");
    mark(path.current, "motcua-current");
    mark(path.late, "motcua-late");
    canvas.zoom("fit-viewport");
    document.body.dataset.ready = "true";  // for tests and screenshots
  }

  Motcua.start(root, load);
})();
