// The NAS list: every router allowed to talk RADIUS, with what an operator checks first —
// online or not (the jobs leader's health poll), open sessions, whether the secret and API
// credentials are set (never their values), and how CoA fared in the last 24 hours.
// The API lists NAS without a search parameter; an ISP has tens of them, so the search and
// pages are done here on the whole list.

import { can } from "../auth";
import { h } from "../dom";
import { dataTable } from "../components/data_table";
import { actionDialog, openDialog } from "../components/dialog";
import { formatTime } from "../components/format";
import { listView, type ListPage } from "../components/list_view";
import { deleteNas, listAllNas, testNas, type Nas, type NasTestResult } from "./nas_api";

const kPerPage = 50;

function statusBadge(nas: Nas): HTMLElement {
  if (!nas.enabled) return h("span", { class: "badge muted", "data-testid": "nas-status" }, "disabled");
  // is_online is false until the jobs leader's first health check (every nas_health_seconds).
  if (!nas.last_check_at) {
    const title = "not checked yet: the jobs leader polls every nas_health_seconds";
    return h("span", { class: "badge muted", "data-testid": "nas-status", title }, "not checked");
  }
  if (nas.is_online === true) return h("span", { class: "badge good", "data-testid": "nas-status", title: `last seen ${formatTime(nas.last_seen)}` }, "online");
  if (nas.is_online === false) {
    return h("span", { class: "badge bad", "data-testid": "nas-status", title: nas.last_check_error ?? `last seen ${formatTime(nas.last_seen)}` }, "offline");
  }
  return h("span", { class: "badge muted", "data-testid": "nas-status" }, "unknown");
}

function coaCell(nas: Nas): HTMLElement | string {
  const c = nas.coa;
  if (!c) return "—";
  const total = c.acked + c.naked + c.failed + c.expired + c.pending;
  if (total === 0) return h("span", { class: "muted" }, "none");
  return h(
    "span",
    { title: c.last_failure ? `last failure: ${c.last_failure} (${formatTime(c.last_failure_at)})` : "last 24 hours" },
    `${c.acked} ack`,
    c.naked ? ` · ${c.naked} nak` : "",
    c.failed + c.expired ? h("span", { class: "bad-text" }, ` · ${c.failed + c.expired} failed`) : "",
    c.pending ? ` · ${c.pending} pending` : "",
  );
}

function showTestResult(result: NasTestResult): void {
  openDialog(
    `Test of ${result.name} (${result.ip})`,
    [
      h(
        "p",
        { class: `alert ${result.ok ? "success" : "error"}`, "data-testid": "nas-test-summary" },
        result.ok ? "All checks passed." : "At least one check failed.",
      ),
      h(
        "table",
        { class: "data compact", "data-testid": "nas-test-checks" },
        h("thead", {}, h("tr", {}, h("th", {}, "Check"), h("th", {}, "Result"), h("th", { class: "num" }, "Time"), h("th", {}, "Detail"))),
        h(
          "tbody",
          {},
          ...result.checks.map((c) =>
            h(
              "tr",
              { "data-check": c.check },
              h("td", {}, c.check.toUpperCase()),
              h("td", {}, h("span", { class: `badge ${c.status === "ok" ? "good" : c.status === "fail" ? "bad" : "muted"}` }, c.status)),
              h("td", { class: "num" }, `${c.elapsed_ms} ms`),
              h("td", { class: "wrap" }, c.detail),
            ),
          ),
        ),
      ),
    ],
    "nas-test-dialog",
  );
}

function actions(nas: Nas, reload: () => void): HTMLElement {
  const test = h("button", { type: "button", class: "secondary small", "data-testid": "nas-test" }, "Test");
  test.addEventListener("click", async () => {
    test.disabled = true;
    test.textContent = "Testing…";
    try {
      showTestResult(await testNas(nas.id));
    } catch (e) {
      openDialog(`Test of ${nas.name}`, [h("p", { class: "alert error", role: "alert" }, (e as Error).message)], "nas-test-dialog");
    } finally {
      test.disabled = false;
      test.textContent = "Test";
    }
  });
  const remove = h("button", { type: "button", class: "danger small", "data-testid": "nas-delete" }, "Delete");
  remove.addEventListener("click", async () => {
    const done = await actionDialog({
      title: `Delete NAS ${nas.name}?`,
      text: `RADIUS from ${nas.ip} is dropped as an unknown NAS once it is deleted. A NAS with open sessions cannot be deleted.`,
      confirmLabel: "Delete",
      danger: true,
      action: () => deleteNas(nas.id),
    });
    if (done) reload();
  });
  return h(
    "span",
    { class: "row-actions" },
    can("nas.edit") ? h("a", { class: "button secondary small", href: `/nas/${nas.id}/edit`, "data-testid": "nas-edit" }, "Edit") : null,
    can("nas.edit") ? test : null,
    can("nas.delete") ? remove : null,
  );
}

function table(page: ListPage<Nas>, reload: () => void): Node {
  return dataTable<Nas>({
    testid: "nas-table",
    rows: page.items,
    key: (n) => n.id,
    rowClass: (n) => (n.enabled ? undefined : "muted"),
    columns: [
      {
        label: "Name",
        cell: (n) =>
          h(
            "span",
            {},
            h("strong", { "data-testid": "nas-name" }, n.name),
            n.description ? h("span", { class: "hint block" }, n.description) : null,
          ),
      },
      { label: "IP", cell: (n) => h("code", {}, n.ip) },
      { label: "Type", cell: (n) => h("span", { class: "chip" }, n.type) },
      { label: "Status", cell: statusBadge },
      { label: "Sessions", numeric: true, cell: (n) => h("span", { "data-testid": "nas-sessions" }, String(n.active_sessions ?? 0)) },
      {
        label: "Secret",
        cell: (n) => h("span", { class: `badge ${n.has_secret ? "good" : "bad"}`, "data-testid": "nas-secret" }, n.has_secret ? "set" : "not set"),
      },
      {
        label: "API",
        cell: (n) =>
          n.api_username
            ? h(
                "span",
                {
                  class: `badge ${n.has_api_password ? "good" : "muted"}`,
                  title: `${n.api_username} @ ${n.api_tls ? `${n.api_ssl_port} (TLS)` : n.api_port}`,
                },
                n.api_tls ? "API TLS" : "API",
              )
            : h("span", { class: "badge muted" }, "no API"),
      },
      { label: "CoA (24 h)", cell: coaCell, class: "nowrap" },
      { label: "Version", cell: (n) => n.version ?? "—" },
      { label: "", cell: (n) => actions(n, reload), class: "nowrap" },
    ],
  }).element;
}

export function renderNasList(main: HTMLElement): void {
  let cache: Nas[] | null = null;
  const view = listView<Nas>({
    searchPlaceholder: "Search name, IP or type",
    filters: [
      {
        name: "status",
        label: "Status",
        options: [
          ["online", "Online"],
          ["offline", "Offline"],
          ["disabled", "Disabled"],
        ],
      },
    ],
    load: async (query) => {
      // A search or page change filters what is loaded; a reload (Retry, after a delete) fetches.
      if (cache === null || query.page === 1) cache = await listAllNas();
      const needle = query.q.toLowerCase();
      const status = query.filters.status;
      const matches = (n: Nas) =>
        !needle ||
        n.name.toLowerCase().includes(needle) ||
        n.ip.startsWith(needle) ||
        n.type.includes(needle) ||
        (n.description ?? "").toLowerCase().includes(needle);
      const inStatus = (n: Nas) =>
        !status || (status === "disabled" ? !n.enabled : n.enabled && n.is_online === (status === "online"));
      const items = cache.filter((n) => matches(n) && inStatus(n));
      return { items: items.slice((query.page - 1) * kPerPage, query.page * kPerPage), total: items.length, page: query.page, per_page: kPerPage };
    },
    render: (page, reload) =>
      table(page, () => {
        cache = null;
        reload();
      }),
    empty: (filtered) =>
      filtered
        ? { title: "No NAS matches", advice: "Check the spelling or clear the search and the filter." }
        : {
            title: "No NAS yet",
            advice: can("nas.create")
              ? "Add the routers that send RADIUS to this server with Add NAS: their IP address and shared secret."
              : "An admin with nas.create adds the routers.",
          },
  });
  main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "NAS"),
      can("nas.create") ? h("a", { class: "button primary", href: "/nas/new", "data-testid": "nas-add" }, "Add NAS") : null,
    ),
    view.element,
  );
}
