// RADIUS logs (GET /logs): one row per accept, reject and accounting event (radius_logs, written
// best-effort by store::LogWriter). Every filter lives in the URL query, so a filtered view can be
// bookmarked or pasted into a ticket; a row opens to its detail JSON.

import { request } from "../api";
import { h } from "../dom";
import { debounce, emptyState, errorCard, formatDateTime, input, loadingCard, pager, queryParams, replaceQuery } from "../components/page_kit";

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
const kFilters = ["username", "nas_ip", "event", "reason", "from", "to"] as const;
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
  const params = queryParams();
  const controls = {
    username: input({ type: "search", placeholder: "exact, or prefix*", value: params.get("username") ?? "", "data-testid": "filter-username" }),
    nas_ip: input({ placeholder: "NAS IP", value: params.get("nas_ip") ?? "", "data-testid": "filter-nas_ip" }),
    event: h(
      "select",
      { "data-testid": "filter-event" },
      h("option", { value: "" }, "any event"),
      ...kEvents.map((e) => h("option", { value: e, selected: params.get("event") === e }, e)),
    ) as HTMLSelectElement,
    reason: input({ type: "search", placeholder: "Reason", value: params.get("reason") ?? "", "data-testid": "filter-reason" }),
    from: input({ type: "datetime-local", value: params.get("from") ?? "", "aria-label": "From", "data-testid": "filter-from" }),
    to: input({ type: "datetime-local", value: params.get("to") ?? "", "aria-label": "To", "data-testid": "filter-to" }),
  };
  let page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const body = h("div", {}, loadingCard());
  const count = h("span", { class: "hint inline", "data-testid": "logs-count" });

  const currentQuery = (): URLSearchParams => {
    const q = new URLSearchParams();
    for (const name of kFilters) {
      const value = controls[name].value.trim();
      if (value) q.set(name, value);
    }
    if (page > 1) q.set("page", String(page));
    return q;
  };

  let generation = 0;
  const load = async () => {
    const query = currentQuery();
    replaceQuery(query);
    const mine = ++generation;
    body.replaceChildren(loadingCard("Loading the logs…"));
    query.set("per_page", String(kPerPage));
    if (!query.has("page")) query.set("page", "1");
    // The URL keeps the local time the operator typed; the API takes RFC 3339 instants.
    for (const name of ["from", "to"]) {
      const value = query.get(name);
      const at = value ? new Date(value) : null;
      if (at && !Number.isNaN(at.getTime())) query.set(name, at.toISOString());
    }
    try {
      const answer = await request<LogAnswer>(`/logs?${query}`);
      if (mine !== generation) return; // a newer filter is already loading
      count.textContent = answer.total_capped
        ? `more than ${answer.total.toLocaleString()} events`
        : `${answer.total.toLocaleString()} event${answer.total === 1 ? "" : "s"}`;
      if (!answer.items.length) {
        const filtered = kFilters.some((n) => controls[n].value.trim());
        body.replaceChildren(
          filtered
            ? emptyState("Nothing matches these filters", "Widen the dates or clear a filter.")
            : emptyState("No RADIUS events yet", "Events appear here as soon as a NAS sends Access-Requests or accounting."),
        );
        return;
      }
      body.replaceChildren(
        h(
          "table",
          { class: "data logs", "data-testid": "logs-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", {}, "User"), h("th", {}, "NAS"), h("th", {}, "Event"), h("th", {}, "Reason / detail"))),
          h("tbody", {}, ...answer.items.flatMap((row) => logRows(row))),
        ),
        pager(answer, (p) => {
          page = p;
          void load();
        }),
      );
    } catch (e) {
      if (mine !== generation) return;
      count.textContent = "";
      body.replaceChildren(errorCard(e, () => void load()));
    }
  };
  const reload = debounce(() => {
    page = 1;
    void load();
  });
  for (const name of kFilters) {
    controls[name].addEventListener(name === "event" || name === "from" || name === "to" ? "change" : "input", reload);
  }
  const clearButton = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: () => {
        for (const name of kFilters) controls[name].value = "";
        page = 1;
        void load();
      },
    },
    "Clear filters",
  );
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Refresh");

  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, "RADIUS logs"), h("div", { class: "head-actions" }, count, refresh)),
    h(
      "form",
      { class: "filters card", role: "search", "aria-label": "Filter the logs", onsubmit: (e: Event) => (e.preventDefault(), void load()) },
      ...kFilters.map((name) =>
        h("label", { class: "filter" }, h("span", {}, { username: "User", nas_ip: "NAS IP", event: "Event", reason: "Reason", from: "From", to: "To" }[name]), controls[name]),
      ),
      clearButton,
    ),
    body,
  );
  void load();
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
    h("td", { class: "nowrap" }, toggle, " ", formatDateTime(row.at)),
    h("td", {}, row.username || h("span", { class: "muted" }, "—")),
    h("td", {}, row.nas ? `${row.nas} ` : "", row.nas_ip ? h("span", { class: row.nas ? "muted" : "" }, row.nas_ip) : h("span", { class: "muted" }, "—")),
    h("td", {}, eventBadge(row.event)),
    h("td", {}, row.reason ? h("strong", {}, row.reason, " ") : null, h("span", { class: "muted small" }, detailSummary(row.detail))),
  );
  return [main, detailRow];
}
