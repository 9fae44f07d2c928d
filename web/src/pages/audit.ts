// The audit log (GET /audit, admins.view): who changed what and when, newest first, with the
// fields a change touched shown as "before → after". Filters stay in the URL, so "everything
// done to subscriber 42" can be bookmarked or pasted into a ticket.

import { request } from "../api";
import { h, type Child } from "../dom";
import { dataTable } from "../components/data_table";
import { formatTime } from "../components/format";
import { listQueryString, listView, type ListPage } from "../components/list_view";

export interface AuditEntry {
  id: number;
  at: string;
  admin_id: number | null;
  admin_username: string;
  action: string;
  resource: string;
  resource_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  peer_ip: string | null;
}

const kResources: [string, string][] = [
  ["nas", "NAS"],
  ["subscriber", "Subscribers"],
  ["service", "Services"],
  ["session", "Sessions"],
  ["pool", "IP pools"],
  ["policy", "Policies"],
  ["settings", "Settings"],
  ["reseller", "Resellers"],
  ["admin", "Admins"],
  ["auth", "Logins"],
];
const kActions: [string, string][] = [
  ["create", "create"],
  ["update", "update"],
  ["delete", "delete"],
  ["login", "login"],
  ["login_failed", "login failed"],
  ["logout", "logout"],
];

function show(value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "null";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** "field: before → after" for each member that differs; a create or delete lists its values. */
export function changeLines(entry: Pick<AuditEntry, "before" | "after">): Child[] {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const lines: Child[] = [];
  for (const key of keys) {
    const was = (before as Record<string, unknown>)[key];
    const now = (after as Record<string, unknown>)[key];
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    const text =
      entry.before === null
        ? `${key}: ${show(now)}`
        : entry.after === null
          ? `${key}: ${show(was)}`
          : `${key}: ${show(was)} → ${show(now)}`;
    lines.push(h("div", { class: "change" }, text));
  }
  return lines.length ? lines : ["—"];
}

export function renderAudit(main: HTMLElement): void {
  const view = listView<AuditEntry>({
    load: (query) => request<ListPage<AuditEntry>>(`/audit?${listQueryString(query, 50, { q: "admin" })}`),
    searchPlaceholder: "Admin username",
    filters: [
      { name: "resource", label: "Resource", options: kResources },
      { name: "action", label: "Action", options: kActions },
    ],
    empty: (filtered) =>
      filtered
        ? { title: "No entries match", advice: "Clear the filters to see every change." }
        : { title: "Nothing recorded yet", advice: "Every change made through the panel or the API appears here." },
    render: (page) =>
      dataTable<AuditEntry>({
        testid: "audit-table",
        rows: page.items,
        key: (e) => e.id,
        columns: [
          { label: "When", cell: (e) => formatTime(e.at), class: "nowrap" },
          { label: "Admin", cell: (e) => e.admin_username || "—" },
          { label: "Action", cell: (e) => h("span", { class: `badge audit-${e.action}` }, e.action) },
          { label: "Resource", cell: (e) => (e.resource_id ? `${e.resource} #${e.resource_id}` : e.resource) },
          { label: "Changes", cell: (e) => h("div", { class: "changes" }, ...changeLines(e)) },
          { label: "From", cell: (e) => e.peer_ip ?? "—", class: "nowrap" },
        ],
      }).element,
  });
  main.replaceChildren(
    h("h1", {}, "Audit log"),
    h("p", { class: "lead" }, "Every change made through the panel or the API: who, what, when and from where. Passwords and secrets show as ***."),
    view.element,
  );
}
