// RADIUS logs (GET /logs): one row per accept, reject and accounting event (radius_logs, written
// best-effort by store::LogWriter). Every filter lives in the URL query (list_view.ts), so a
// filtered view can be bookmarked or pasted into a ticket; a row opens to its detail JSON.

import { request } from "../api";
import { h } from "../dom";
import { formatTime } from "../components/format";
import { listQueryString, listView } from "../components/list_view";

interface LogRow {
  id: number;
  at: string;
  username: string | null;
  nas_ip: string | null;
  nas?: string | null;
  event: string;
  reason: string;
  detail: unknown;
}

interface LogAnswer {
  items: LogRow[];
  /** Exact up to 10,000; past that 10,000 with total_capped. */
  total: number;
  total_capped?: boolean;
  page: number;
  per_page: number;
}

// The events store::LogEvent writes.
const kEvents = ["accept", "reject", "acct-start", "acct-interim", "acct-stop", "acct-on", "acct-off", "acct-discard"];
const kPerPage = 50;

function eventBadge(event: string): HTMLElement {
  const tone = event === "accept" ? "good" : event === "reject" || event === "acct-discard" ? "bad" : "muted";
  return h("span", { class: `badge ${tone}` }, event);
}

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") {
    try {
      return JSON.stringify(JSON.parse(detail), null, 2);
    } catch {
      return detail;
    }
  }
  return JSON.stringify(detail, null, 2);
}

/** A short one-line form of the detail for the table cell. */
function detailSummary(detail: unknown): string {
  const text = detailText(detail);
  if (!text) return "";
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

export function renderLogs(main: HTMLElement): void {
  const count = h("span", { class: "hint inline", "data-testid": "logs-count" });
  let capped = false;
  const view = listView<LogRow>({
    search: false,
    filters: [
      { name: "username", label: "User", input: "text", placeholder: "exact, or prefix*" },
      { name: "nas_ip", label: "NAS IP", input: "text", placeholder: "NAS IP" },
      { name: "event", label: "Event", options: kEvents.map((e) => [e, e]) },
      { name: "reason", label: "Reason", input: "text", placeholder: "Reason" },
      { name: "from", label: "From", input: "datetime-local" },
      { name: "to", label: "To", input: "datetime-local" },
    ],
    actions: [h("button", { type: "button", class: "secondary", onclick: () => view.clear() }, "Clear filters")],
    load: async (query) => {
      const params = new URLSearchParams(listQueryString(query, kPerPage));
      // The URL keeps the local time the operator typed; the API takes RFC 3339 instants.
      for (const name of ["from", "to"]) {
        const value = params.get(name);
        const at = value ? new Date(value) : null;
        if (at && !Number.isNaN(at.getTime())) params.set(name, at.toISOString());
      }
      const answer = await request<LogAnswer>(`/logs?${params}`);
      capped = answer.total_capped === true;
      return answer;
    },
    onLoaded: (page) => {
      count.textContent = capped ? `more than ${page.total.toLocaleString()} events` : `${page.total.toLocaleString()} event${page.total === 1 ? "" : "s"}`;
    },
    render: (page) =>
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data logs", "data-testid": "logs-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", {}, "User"), h("th", {}, "NAS"), h("th", {}, "Event"), h("th", {}, "Reason / detail"))),
          h("tbody", {}, ...page.items.flatMap((row) => logRows(row))),
        ),
      ),
    empty: (filtered) =>
      filtered
        ? { title: "Nothing matches these filters", advice: "Widen the dates or clear a filter." }
        : { title: "No RADIUS events yet", advice: "Events appear here as soon as a NAS sends Access-Requests or accounting." },
  });
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => void view.reload() }, "Refresh");
  main.replaceChildren(h("div", { class: "page-head" }, h("h1", {}, "RADIUS logs"), h("div", { class: "head-actions" }, count, refresh)), view.element);
}

function logRows(row: LogRow): HTMLElement[] {
  const detail = detailText(row.detail);
  const detailRow = h(
    "tr",
    { class: "detail-row", hidden: true },
    h("td", { colspan: "5" }, h("pre", { class: "json", "data-testid": "log-detail" }, detail || "(no detail)")),
  );
  const toggle = h("button", { type: "button", class: "link", "aria-expanded": "false", title: "Show the detail" }, "▸");
  const open = () => {
    const shown = detailRow.hidden;
    detailRow.hidden = !shown;
    toggle.textContent = shown ? "▾" : "▸";
    toggle.setAttribute("aria-expanded", String(shown));
  };
  toggle.addEventListener("click", (e) => (e.stopPropagation(), open()));
  const main = h(
    "tr",
    { class: "expandable", "data-testid": "log-row", "data-event": row.event, onclick: open },
    h("td", { class: "nowrap" }, toggle, " ", formatTime(row.at)),
    h("td", {}, row.username || h("span", { class: "muted" }, "—")),
    h("td", {}, row.nas ? `${row.nas} ` : "", row.nas_ip ? h("span", { class: row.nas ? "muted" : "" }, row.nas_ip) : h("span", { class: "muted" }, "—")),
    h("td", {}, eventBadge(row.event)),
    h("td", {}, row.reason ? h("strong", {}, row.reason, " ") : null, h("span", { class: "muted small" }, detailSummary(row.detail))),
  );
  return [main, detailRow];
}
