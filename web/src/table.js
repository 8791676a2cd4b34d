// The table view: the accessible alternative to the map (sortable, filterable, 100 rows a page).
import { el, fmtInt, fmtValue } from "./format.js";

export const PAGE_SIZE = 100;

export class AreaTable {
  constructor(root, { onSelect, onChange }) {
    this.root = root;
    this.onSelect = onSelect;
    this.onChange = onChange;
    this.sort = { key: "value", dir: "desc" };
    this.page = 0;
    this.filter = "";
    this.rows = [];
    root.querySelector("#table-filter").addEventListener("input", (e) => {
      this.filter = e.target.value;
      this.page = 0;
      this.render();
      this.onChange();
    });
    root.querySelector("#page-prev").addEventListener("click", () => this.goto(this.page - 1));
    root.querySelector("#page-next").addEventListener("click", () => this.goto(this.page + 1));
  }

  goto(page) {
    this.page = page;
    this.render();
    this.onChange();
  }

  // rows: [{i, code, name, district, value, rank, decile, interval, stays}] for the areas passing
  // the map filters. Index and domains are listed by rank (1 = most vulnerable), never by raw score.
  setData({ rows, measure, selected, hasDecile }) {
    const byRank = measure.group !== "indicator";
    if (byRank !== this.byRank) this.sort = byRank ? { key: "value", dir: "asc" } : { key: "value", dir: "desc" };
    this.byRank = byRank;
    this.rows = byRank ? rows.map((r) => ({ ...r, value: r.rank })) : rows;
    this.measure = measure;
    this.selected = selected;
    this.hasDecile = hasDecile;
    this.render();
  }

  visibleRows() {
    const q = this.filter.trim().toLowerCase();
    let rows = q ? this.rows.filter((r) => r.name.toLowerCase().includes(q) || r.code.toLowerCase().includes(q) || r.district.toLowerCase().includes(q)) : this.rows.slice();
    const { key, dir } = this.sort;
    const sign = dir === "asc" ? 1 : -1;
    rows.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === "string" ? x.localeCompare(y) : x - y) * sign;
    });
    return rows;
  }

  pageOf(code) {
    const idx = this.visibleRows().findIndex((r) => r.code === code);
    return idx < 0 ? null : Math.floor(idx / PAGE_SIZE);
  }

  header(key, label) {
    const active = this.sort.key === key;
    const sortState = active ? (this.sort.dir === "asc" ? "ascending" : "descending") : null;
    const button = el(
      "button",
      {
        type: "button",
        class: "sort",
        onclick: () => {
          const first = key === "value" && !this.byRank ? "desc" : "asc";
          this.sort = { key, dir: active ? (this.sort.dir === "asc" ? "desc" : "asc") : first };
          this.page = 0;
          this.render();
          this.onChange();
        },
      },
      label,
      el("span", { "aria-hidden": "true", class: "sort-mark" }, active ? (this.sort.dir === "asc" ? " ▲" : " ▼") : ""),
    );
    return el("th", { scope: "col", "aria-sort": sortState }, button);
  }

  render() {
    const m = this.measure;
    if (!m) return;
    const head = this.root.querySelector("#table-head");
    const cols = [this.header("name", "Area"), this.header("code", "Code"), this.header("district", "District"), this.header("value", this.byRank ? "Rank" : m.label)];
    if (this.hasDecile) cols.push(this.header("decile", "Index decile"));
    const uncertain = this.hasDecile && this.rows.some((r) => r.stays !== null && r.stays !== undefined);
    const intervals = this.hasDecile && this.rows.some((r) => r.interval);
    if (intervals) cols.push(el("th", { scope: "col" }, "Rank interval (90%)"));
    if (uncertain) cols.push(this.header("stays", "In this decile in"));
    cols[1].classList.add("wide-col");
    cols[2].classList.add("wide-col");
    head.replaceChildren(...cols);
    const rows = this.visibleRows();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    const slice = rows.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
    const body = this.root.querySelector("#table-body");
    body.replaceChildren(
      ...slice.map((r) => {
        const selected = r.code === this.selected;
        const tr = el(
          "tr",
          { class: selected ? "selected" : null, "data-code": r.code },
          el("th", { scope: "row" }, el("button", { type: "button", class: "link", "aria-pressed": selected ? "true" : "false", onclick: () => this.onSelect(r.code, "table") }, r.name), el("span", { class: "sub" }, `${r.code}${r.district && !r.name.startsWith(r.district) ? `, ${r.district}` : ""}`)),
          el("td", { class: "wide-col" }, r.code),
          el("td", { class: "wide-col" }, r.district),
          el("td", { class: "num" }, this.byRank ? fmtInt(r.value) : fmtValue(m, r.value)),
        );
        if (this.hasDecile) tr.append(el("td", { class: "num" }, r.decile ?? "–"));
        if (intervals) tr.append(el("td", { class: "num" }, r.interval ? `${r.interval[0]}–${r.interval[1]}` : "–"));
        if (uncertain) tr.append(el("td", { class: "num" }, r.stays === null || r.stays === undefined ? "–" : `${Math.round(100 * r.stays)}% of draws`));
        return tr;
      }),
    );
    this.root.querySelector("#table-caption").textContent = `${m.title} by area${this.byRank ? " (rank 1 = most vulnerable)" : ""}, page ${this.page + 1} of ${pages}`;
    this.root.querySelector("#table-count").textContent = `${rows.length.toLocaleString("en-GB")} of ${this.rows.length.toLocaleString("en-GB")} areas`;
    this.root.querySelector("#page-info").textContent = `Page ${this.page + 1} of ${pages}`;
    this.root.querySelector("#page-prev").disabled = this.page === 0;
    this.root.querySelector("#page-next").disabled = this.page >= pages - 1;
  }
}
