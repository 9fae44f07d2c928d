// Subscribers: search (username, static IP prefix or MAC digits, server-side), filters by
// status, service and online, pages of 50, and bulk enable / disable of the checked rows.
// A disable of an online subscriber also queues its Disconnect (the API does it).

import { can } from "../auth";
import { h } from "../dom";
import { dataTable } from "../components/data_table";
import { actionDialog } from "../components/dialog";
import { formatTime } from "../components/format";
import { listQueryString, listView, type FilterDef, type ListPage } from "../components/list_view";
import { listAllServices } from "./services_api";
import { bulkSubscribers, listSubscribers, type Subscriber } from "./subscribers_api";

const kPerPage = 50;

export function statusBadges(s: Subscriber): HTMLElement {
  return h(
    "span",
    { class: "badges" },
    h("span", { class: `badge ${s.enabled ? "good" : "muted"}`, "data-testid": "sub-enabled" }, s.enabled ? "enabled" : "disabled"),
    s.online ? h("span", { class: "badge good", "data-testid": "sub-online" }, s.open_sessions > 1 ? `online ×${s.open_sessions}` : "online") : null,
    s.expires_at && Date.parse(s.expires_at) < Date.now() ? h("span", { class: "badge bad" }, "expired") : null,
  );
}

async function serviceFilter(): Promise<FilterDef | null> {
  try {
    const services = await listAllServices();
    return services.length ? { name: "service", label: "Service", options: services.map((s) => [s.name, s.name] as [string, string]) } : null;
  } catch {
    return null; // without services.view the list works without this filter
  }
}

export async function renderSubscriberList(main: HTMLElement): Promise<void> {
  main.replaceChildren(h("h1", {}, "Subscribers"), h("section", { class: "card loading" }, "Loading…"));
  const service = await serviceFilter();
  if (!main.isConnected) return;
  const filters: FilterDef[] = [
    { name: "enabled", label: "Status", options: [["true", "Enabled"], ["false", "Disabled"]] },
    { name: "online", label: "Online", options: [["true", "Online"], ["false", "Offline"]] },
  ];
  if (service) filters.push(service);

  let selected = new Set<string>();
  const result = h("p", { class: "alert info", role: "status", "data-testid": "bulk-result", hidden: true });
  const count = h("span", { class: "hint", "data-testid": "selected-count" });
  const bulkButton = (action: "enable" | "disable", label: string) =>
    h(
      "button",
      {
        type: "button",
        class: action === "disable" ? "danger small" : "secondary small",
        "data-testid": `bulk-${action}`,
        onclick: async () => {
          const ids = [...selected].map(Number);
          let message = "";
          const done = await actionDialog({
            title: `${label} ${ids.length} subscriber${ids.length === 1 ? "" : "s"}?`,
            text: action === "disable" ? "They can no longer log in; the online ones are disconnected." : "They can log in again.",
            confirmLabel: label,
            danger: action === "disable",
            action: async () => {
              const answer = await bulkSubscribers(action, ids);
              message = `${action === "enable" ? "Enabled" : "Disabled"} ${answer.done}${answer.not_found ? `; ${answer.not_found} no longer exist` : ""}.`;
            },
          });
          if (!done) return;
          result.textContent = message;
          result.hidden = false;
          void view.reload();
        },
      },
      label,
    );
  const bulk = h("span", { class: "bulk-actions", hidden: true }, count, bulkButton("enable", "Enable"), bulkButton("disable", "Disable"));

  const table = (page: ListPage<Subscriber>): Node => {
    selected = new Set();
    bulk.hidden = true;
    return dataTable<Subscriber>({
      testid: "subscribers-table",
      rows: page.items,
      key: (s) => s.id,
      rowClass: (s) => (s.enabled ? undefined : "muted"),
      onSelect: can("subscribers.edit")
        ? (keys) => {
            selected = keys;
            bulk.hidden = keys.size === 0;
            count.textContent = `${keys.size} selected`;
          }
        : undefined,
      columns: [
        { label: "Username", cell: (s) => h("a", { href: `/subscribers/${s.id}`, "data-testid": "sub-link" }, s.username) },
        { label: "Service", cell: (s) => s.service ?? h("span", { class: "muted" }, "none") },
        { label: "Status", cell: statusBadges },
        { label: "Static IP", cell: (s) => (s.static_ip ? h("code", {}, s.static_ip) : "—") },
        { label: "MAC", cell: (s) => s.mac ?? "—", class: "nowrap" },
        { label: "FUP", cell: (s) => (s.current_tier ? h("span", { class: "chip" }, `FUP${s.current_tier}`) : "—") },
        { label: "Expires", cell: (s) => (s.expires_at ? formatTime(s.expires_at) : "never"), class: "nowrap" },
        { label: "Created", cell: (s) => formatTime(s.created_at), class: "nowrap" },
      ],
    }).element;
  };

  const view = listView<Subscriber>({
    searchPlaceholder: "Username, static IP or MAC",
    filters,
    actions: [bulk],
    load: (query) => listSubscribers(listQueryString(query, kPerPage)),
    render: (page) => table(page),
    empty: (filtered) =>
      filtered
        ? { title: "No subscriber matches", advice: "Try part of the username, the first digits of an IP, or four MAC digits; or clear the filters." }
        : {
            title: "No subscribers yet",
            advice: can("subscribers.create")
              ? "Add one with New subscriber, or import many with `gatehouse subscriber import`."
              : "An admin with subscribers.create adds them.",
          },
  });
  main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Subscribers"),
      can("subscribers.create") ? h("a", { class: "button primary", href: "/subscribers/new", "data-testid": "sub-add" }, "New subscriber") : null,
    ),
    result,
    view.element,
  );
}
