// IP pools (GET /pools, /pools/{id}): how full each pool is, and which subscriber holds which
// address. Pools are defined as ranges ("10.0.0.0/24,10.0.1.10-10.0.1.20", docs/ipam.md);
// pools.edit creates, redefines and deletes them.

import { request } from "../api";
import { can } from "../auth";
import { h } from "../dom";
import { actionDialog } from "../components/dialog";
import { dataTable } from "../components/data_table";
import { formatTime } from "../components/format";
import { listQueryString, listView } from "../components/list_view";
import { Field, clearFormErrors, emptyState, errorCard, formAlert, input, loadingCard, pager, queryParams, replaceQuery, showFormError } from "../components/page_kit";
import { navigate } from "../router";

// docs/api/openapi-ha.fragment.yaml, schemas Pool, PoolAddress, PoolChange.
interface Pool {
  id: number;
  name: string;
  nas_id: number | null;
  nas_name: string | null;
  source: "manual" | "mikrotik";
  ranges: string;
  size: number;
  in_use: number;
  free: number;
  reserved: number;
  retiring: number;
  created_at: string;
  updated_at: string;
}

interface PoolAddress {
  ip: string;
  status: "in_use" | "reserved";
  subscriber_id: number | null;
  username: string | null;
  session_id: number | null;
  claimed_at: string | null;
  retired: boolean;
}

interface PoolDetail extends Pool {
  addresses: { items: PoolAddress[]; total: number; page: number; per_page: number };
}

interface PoolChange {
  added?: number;
  removed?: number;
  retired_in_use?: string[];
}

interface ListAnswer<T> {
  items: T[];
  total?: number;
  page?: number;
  per_page?: number;
}

interface NasOption {
  id: number;
  name: string;
}

const kPerPage = 50;

function nasName(pool: Pool): string {
  return pool.nas_name ?? (pool.nas_id === null ? "any NAS" : `NAS ${pool.nas_id}`);
}

/** A bar that turns amber at 80 % and red at 95 %: pools run dry at the worst moment. */
export function usageBar(used: number, size: number): HTMLElement {
  const share = size > 0 ? used / size : 0;
  const percent = Math.round(share * 100);
  const tone = share >= 0.95 ? "bad" : share >= 0.8 ? "warn" : "good";
  return h(
    "div",
    { class: "usage", title: `${used} of ${size} in use (${percent} %)` },
    h("div", { class: `usage-bar ${tone}`, role: "meter", "aria-valuemin": "0", "aria-valuemax": String(size), "aria-valuenow": String(used) }, h("span", { style: `width: ${Math.min(100, share * 100).toFixed(1)}%` })),
    h("span", { class: "usage-label" }, `${percent} %`),
  );
}

export function renderPools(main: HTMLElement, path: string): void {
  const rest = path.replace(/^\/pools\/?/, "");
  if (rest === "new") return void renderPoolForm(main, null);
  const edit = /^(\d+)\/edit$/.exec(rest);
  if (edit) return void renderPoolForm(main, Number(edit[1]));
  if (/^\d+$/.test(rest)) return void renderPoolDetail(main, Number(rest));
  renderPoolList(main);
}

function renderPoolList(main: HTMLElement): void {
  const view = listView<Pool>({
    searchPlaceholder: "Search pool name",
    load: async (query) => {
      const answer = await request<ListAnswer<Pool>>(`/pools?${listQueryString(query, kPerPage)}`);
      return { items: answer.items, total: answer.total ?? answer.items.length, page: answer.page ?? query.page, per_page: answer.per_page ?? kPerPage };
    },
    render: (page) =>
      dataTable<Pool>({
        testid: "pools-table",
        rows: page.items,
        key: (p) => p.id,
        rowAttrs: (p) => ({ "data-name": p.name }),
        columns: [
          { label: "Name", cell: (p) => h("a", { href: `/pools/${p.id}` }, p.name) },
          { label: "NAS", cell: nasName },
          { label: "Ranges", cell: (p) => h("code", { class: "ranges" }, p.ranges) },
          { label: "Size", numeric: true, cell: (p) => String(p.size) },
          { label: "In use", numeric: true, cell: (p) => String(p.in_use) },
          { label: "Free", numeric: true, cell: (p) => String(p.free) },
          { label: "Usage", cell: (p) => usageBar(p.in_use, p.size) },
        ],
      }).element,
    empty: (filtered) =>
      filtered
        ? { title: "No pool matches", advice: "Check the spelling, or clear the search box." }
        : {
            title: "No IP pools yet",
            advice: can("pools.edit") ? "Use New pool to define one, or import a MikroTik's pools from the NAS page." : "An admin with pools.edit defines them.",
          },
  });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, "IP pools"), can("pools.edit") ? h("a", { class: "button primary", href: "/pools/new", "data-testid": "new-pool" }, "New pool") : null),
    view.element,
  );
}

async function renderPoolDetail(main: HTMLElement, id: number): Promise<void> {
  const page = Math.max(1, Number(queryParams().get("page") ?? "1") || 1);
  if (!main.querySelector("[data-testid=pool-facts]")) main.replaceChildren(h("h1", {}, "IP pool"), loadingCard());
  let pool: PoolDetail;
  try {
    pool = await request<PoolDetail>(`/pools/${id}?page=${page}&per_page=${kPerPage}`);
  } catch (e) {
    main.replaceChildren(h("h1", {}, "IP pool"), errorCard(e, () => void renderPoolDetail(main, id)), h("p", {}, h("a", { href: "/pools" }, "Back to the pools")));
    return;
  }
  const addresses = pool.addresses;
  // The server's refusal (addresses in use) stays in the dialog beside the buttons.
  const remove = async () => {
    const deleted = await actionDialog({
      title: `Delete pool ${pool.name}?`,
      text: `Its ${pool.size} addresses go with it. A pool with addresses in use cannot be deleted.`,
      confirmLabel: "Delete pool",
      danger: true,
      action: () => request<void>(`/pools/${id}`, { method: "DELETE" }),
    });
    if (deleted) navigate("/pools");
  };
  main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, `IP pool ${pool.name}`),
      can("pools.edit")
        ? h(
            "div",
            { class: "head-actions" },
            h("a", { class: "button secondary", href: `/pools/${id}/edit` }, "Edit"),
            h("button", { type: "button", class: "danger", onclick: () => void remove() }, "Delete"),
          )
        : "",
    ),
    h(
      "section",
      { class: "card pool-facts", "data-testid": "pool-facts" },
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "NAS"),
        h("dd", {}, nasName(pool)),
        h("dt", {}, "Ranges"),
        h("dd", {}, h("code", { class: "ranges" }, pool.ranges)),
        h("dt", {}, "Source"),
        h("dd", {}, pool.source === "mikrotik" ? "imported from the MikroTik" : "defined here"),
        h("dt", {}, "Addresses"),
        h("dd", {}, `${pool.size} in all: ${pool.in_use} in use, ${pool.reserved} reserved, ${pool.free} free`),
        pool.retiring ? h("dt", {}, "Retiring") : "",
        pool.retiring ? h("dd", {}, `${pool.retiring} in use outside the current ranges, removed once released`) : "",
        h("dt", {}, "Usage"),
        h("dd", {}, usageBar(pool.in_use, pool.size)),
        h("dt", {}, "Changed"),
        h("dd", {}, formatTime(pool.updated_at)),
      ),
    ),
    h("h2", { class: "section-title" }, `Addresses in use (${addresses.total})`),
    addresses.items.length
      ? h(
          "table",
          { class: "data", "data-testid": "pool-addresses" },
          h("thead", {}, h("tr", {}, h("th", {}, "Address"), h("th", {}, "Status"), h("th", {}, "Subscriber"), h("th", {}, "Since"))),
          h(
            "tbody",
            {},
            ...addresses.items.map((a) =>
              h(
                "tr",
                {},
                h("td", {}, h("code", {}, a.ip), a.retired ? h("span", { class: "badge muted", title: "outside the current ranges" }, " retiring") : ""),
                h("td", {}, a.status === "reserved" ? h("span", { class: "badge muted" }, "reserved") : a.session_id !== null ? h("span", { class: "badge good" }, "online") : h("span", { class: "badge muted" }, "held")),
                h("td", {}, a.subscriber_id !== null ? h("a", { href: `/subscribers/${a.subscriber_id}` }, a.username ?? `#${a.subscriber_id}`) : "—"),
                h("td", {}, formatTime(a.claimed_at)),
              ),
            ),
          ),
        )
      : emptyState("No address in use", "Addresses appear here while subscribers hold them."),
    addresses.total > addresses.items.length
      ? pager(addresses, (p) => {
          const next = new URLSearchParams();
          if (p > 1) next.set("page", String(p));
          replaceQuery(next);
          void renderPoolDetail(main, id);
        })
      : "",
    h("p", {}, h("a", { href: "/pools" }, "Back to the pools")),
  );
}

async function renderPoolForm(main: HTMLElement, id: number | null): Promise<void> {
  const title = id === null ? "New IP pool" : "Edit IP pool";
  main.replaceChildren(h("h1", {}, title), loadingCard());
  let pool: Pool | null = null;
  let nasList: NasOption[] = [];
  try {
    [pool, nasList] = await Promise.all([
      id === null ? Promise.resolve(null) : request<Pool>(`/pools/${id}`),
      can("nas.view") ? request<ListAnswer<NasOption>>("/nas?per_page=500").then((a) => a.items) : Promise.resolve([]),
    ]);
  } catch (e) {
    main.replaceChildren(h("h1", {}, title), errorCard(e, () => void renderPoolForm(main, id)));
    return;
  }
  const name = new Field("name", "Name", input({ value: pool?.name ?? "", autocomplete: "off", disabled: id !== null }), id !== null ? "The name cannot change: services name their pool." : undefined);
  const nas = new Field(
    "nas_id",
    "NAS",
    h(
      "select",
      {},
      h("option", { value: "", selected: pool?.nas_id == null }, "any NAS"),
      ...nasList.map((n) => h("option", { value: String(n.id), selected: n.id === pool?.nas_id }, n.name)),
    ) as HTMLSelectElement,
    "A pool bound to a NAS is handed out to that NAS's sessions only.",
  );
  const ranges = new Field("ranges", "Ranges", input({ value: pool?.ranges ?? "", placeholder: "10.0.0.0/24,10.0.1.10-10.0.1.20" }), "CIDR blocks and first-last ranges, separated by commas.");
  const fields = [name, nas, ranges];
  const general = formAlert();
  const submit = h("button", { type: "submit", class: "primary" }, id === null ? "Create pool" : "Save");
  const form = h(
    "form",
    {
      class: "card form",
      novalidate: true,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        clearFormErrors(fields, general);
        general.className = "alert error";
        if (!name.input.value.trim()) return name.showError("is required");
        if (!ranges.input.value.trim()) return ranges.showError("is required");
        const nasValue = (nas.input as HTMLSelectElement).value;
        const body: Record<string, unknown> = { nas_id: nasValue === "" ? null : Number(nasValue), ranges: ranges.input.value.trim() };
        if (id === null) body["name"] = name.input.value.trim();
        submit.disabled = true;
        try {
          const saved =
            id === null ? await request<Pool & PoolChange>("/pools", { body }) : await request<Pool & PoolChange>(`/pools/${id}`, { method: "PATCH", body });
          // Addresses in use outside the new ranges stay until released: say which.
          if (saved.retired_in_use?.length) {
            general.className = "alert info";
            general.textContent = `Saved. Still in use outside the new ranges (removed once released): ${saved.retired_in_use.join(", ")}.`;
            general.hidden = false;
            return;
          }
          navigate(`/pools/${saved.id ?? id}`);
        } catch (e) {
          showFormError(e, fields, general);
        } finally {
          submit.disabled = false;
        }
      },
    },
    general,
    ...fields.map((f) => f.row),
    h("div", { class: "actions" }, submit, h("a", { class: "button secondary", href: id === null ? "/pools" : `/pools/${id}` }, "Cancel")),
  );
  main.replaceChildren(h("h1", {}, title), form);
  name.input.focus();
}
