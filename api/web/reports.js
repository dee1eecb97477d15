// The reports dashboard: on-time counts (N-7) with charts, Decision 766 indicators (N-9), ranking.
"use strict";

(() => {
  const { el, api, fmt, download } = Motcua;
  const root = document.getElementById("root");
  const LABELS = { early: "Trước hạn", on_time: "Đúng hạn", late: "Quá hạn", open_late: "Đang quá hạn" };
  const COUNTS = [["received", "Tiếp nhận"], ["finished", "Đã giải quyết"], ["early", "Trước hạn"],
    ["on_time", "Đúng hạn"], ["late", "Quá hạn"], ["unclassified", "Khác (rút, không tiếp nhận)"],
    ["reappointed", "Hẹn lại"], ["open", "Đang giải quyết"], ["open_late", "Đang quá hạn"]];

  const thisMonth = () => new Date().toISOString().slice(0, 7);
  const params = new URLSearchParams(location.search);
  const state = { period: params.get("period") || thisMonth(), subject: params.get("subject") || "dossiers",
                  by: params.get("by") || "agency" };

  // The 12 months ending with the period's last month, for the trend.
  function trendRange(period) {
    const m = /^(\d{4})-(\d{2})$/.exec(period);
    if (!m) return period;
    const y = Number(m[1]), mo = Number(m[2]);
    const first = new Date(Date.UTC(y, mo - 12, 1)), last = new Date(Date.UTC(y, mo, 0));
    return `${first.toISOString().slice(0, 10)}..${last.toISOString().slice(0, 10)}`;
  }

  const q = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v)).toString();
  const label = (r) => [r.period, r.agency_name || r.agency_id, r.procedure_code, r.field].filter(Boolean).join(" · ");

  function countsTable(report) {
    const rate = (c) => fmt.number(c.on_time_rate);
    return el("table", { id: "ontime-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "Nhóm"), COUNTS.map(([, h]) => el("th", { class: "num" }, h)),
        el("th", { class: "num" }, "Tỷ lệ đúng hạn (%)"))),
      el("tbody", {}, report.rows.map((r) => el("tr", { "data-agency": r.agency_id || "" },
        el("td", {}, label(r)), COUNTS.map(([k]) => el("td", { class: "num", "data-key": k }, r[k])),
        el("td", { class: "num" }, rate(r)))),
      el("tr", { class: "total" }, el("td", {}, "Tổng"),
        COUNTS.map(([k]) => el("td", { class: "num", "data-key": k }, report.total[k])),
        el("td", { class: "num" }, rate(report.total)))));
  }

  function indicatorsTable(report) {
    return el("table", { id: "indicators-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "Cơ quan"), report.indicators.map((i) =>
        el("th", { class: "num", title: `${i.formula} (${i.source})` }, `${i.name} (${i.unit})`)))),
      el("tbody", {}, [...report.rows, report.total].map((r) => el("tr", { class: r.agency_id ? "" : "total" },
        el("td", {}, r.agency_id ? (r.agency_name || r.agency_id) : "Toàn tỉnh"),
        report.indicators.map((i) => {
          const v = r.values[i.code];
          return el("td", { class: "num", "data-code": i.code, title: v.note || "" },
            v.value === null ? "chưa tính được" : fmt.number(v.value, 2));
        })))));
  }

  function rankingTable(report) {
    return el("table", { id: "ranking-table" },
      el("thead", {}, el("tr", {}, ["Hạng", "Cơ quan", "Điểm (%)", "Điểm đạt", "Điểm tối đa đo được"]
        .map((h) => el("th", {}, h)))),
      el("tbody", {}, report.rows.map((r) => el("tr", {},
        el("td", {}, r.rank), el("td", {}, r.agency_name || r.agency_id), el("td", { class: "num" }, fmt.number(r.percent, 2)),
        el("td", { class: "num" }, fmt.number(r.earned, 2)), el("td", { class: "num" }, fmt.number(r.available, 0))))));
  }

  function filters() {
    const period = el("input", { name: "period", value: state.period, size: 24,
      title: "2026, 2026-Q4, 2026-11 hoặc 2026-11-01..2026-11-15" });
    const subject = el("select", { name: "subject" },
      el("option", { value: "dossiers" }, "Hồ sơ"), el("option", { value: "steps" }, "Bước xử lý"));
    subject.value = state.subject;
    const by = el("select", { name: "by" }, [["agency", "Cơ quan"], ["procedure", "Thủ tục"], ["field", "Lĩnh vực"],
      ["agency,procedure", "Cơ quan và thủ tục"]].map(([v, t]) => el("option", { value: v }, t)));
    by.value = state.by;
    const csv = el("button", { type: "button", id: "csv" }, "Tải CSV");
    csv.addEventListener("click", () => download(`/api/reports/ontime.csv?${q({ period: state.period,
      subject: state.subject, by: state.by })}`, `bao-cao-${state.period}.csv`));
    const form = el("form", { class: "filters card" }, el("label", {}, "Kỳ báo cáo", period),
      el("label", {}, "Đối tượng", subject), el("label", {}, "Theo", by), el("button", { type: "submit" }, "Xem"), csv);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      Object.assign(state, { period: period.value.trim(), subject: subject.value, by: by.value });
      history.replaceState(null, "", `?${q(state)}`);
      Motcua.start(root, load);
    });
    return form;
  }

  async function load() {
    const base = { period: state.period, subject: state.subject };
    const [ontime, byAgency, trend] = await Promise.all([
      api(`/api/reports/ontime?${q({ ...base, by: state.by })}`),
      api(`/api/reports/ontime?${q({ ...base, by: "agency" })}`),
      api(`/api/reports/ontime?${q({ period: trendRange(state.period), subject: state.subject, grain: "month", by: "period" })}`),
    ]);
    const sections = [filters(),
      el("section", { class: "card" }, el("h2", {}, `Trước hạn / đúng hạn / quá hạn — ${ontime.period}`),
        el("p", { class: "note" }, `Đang giải quyết và đang quá hạn tính đến ${fmt.time(ontime.as_of)}.`), countsTable(ontime)),
      el("section", { class: "charts" },
        el("div", { class: "card" }, el("h3", {}, "Theo cơ quan"),
          Charts.barsByAgency("chart-agencies", byAgency.rows.map((r) => ({ label: r.agency_name || r.agency_id, ...r })), LABELS)),
        el("div", { class: "card" }, el("h3", {}, "Theo tháng"),
          Charts.trend("chart-trend", trend.rows.map((r) => ({ label: r.period, ...r })), LABELS)))];
    if (state.subject === "dossiers") {
      const indicators = await api(`/api/reports/indicators?${q({ period: state.period })}`);
      sections.push(el("section", { class: "card" }, el("h2", {}, "Chỉ số theo Quyết định 766 (N-9)"),
        el("p", { class: "note" }, "“chưa tính được”: chưa có dữ liệu (phản ánh, đánh giá chưa được ghi nhận; hoặc kỳ này không có hồ sơ để tính). Di chuột để xem lý do."),
        indicatorsTable(indicators)));
      try {
        sections.push(el("section", { class: "card" }, el("h2", {}, "Xếp hạng cơ quan (R-7.4)"),
          rankingTable(await api(`/api/reports/ranking?${q({ period: state.period })}`))));
      } catch (err) { if (err.status !== 403) throw err; }
    }
    root.replaceChildren(...sections);
    document.body.dataset.ready = "true";
  }

  Motcua.start(root, load);
})();
