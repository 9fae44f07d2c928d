// Resellers (under /admins/resellers): list, create, rename, and the NAS rows assigned to each
// (reseller_nas; PUT /resellers/{id}/nas replaces the whole set). A reseller's admins see only
// the NAS assigned here, and only their own subscribers.

import { ApiError, request } from "../api";
import { can, session } from "../auth";
import { actionDialog } from "../components/dialog";
import { h } from "../dom";
import { dataTable } from "../components/data_table";
import { formatTime } from "../components/format";
import { listQueryString, listView } from "../components/list_view";
import { Field, clearFormErrors, errorCard, formAlert, input, loadingCard, showFormError } from "../components/page_kit";
import { navigate } from "../router";
import { adminTabs } from "./admins";

interface NasRef {
  id: number;
  name: string;
  ip: string;
}

// docs/api/openapi-hb.fragment.yaml, schema Reseller.
interface Reseller {
  id: number;
  name: string;
  parent_id: number | null;
  created_at: string;
  /** The NAS rows assigned (reseller_nas), ascending. */
  nas_ids: number[];
  subscriber_count: number;
  admin_count: number;
}

interface ListAnswer<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

const kPerPage = 50;

/** Only ISP-wide admins manage resellers (a reseller's admin gets 403 from every write). */
function mayEdit(): boolean {
  return can("resellers.edit") && !session()?.admin.reseller;
}

async function nasNames(): Promise<Map<number, NasRef>> {
  if (!can("nas.view")) return new Map();
  const answer = await request<ListAnswer<NasRef>>("/nas?per_page=500");
  return new Map(answer.items.map((n) => [n.id, n]));
}

/** `rest` is what follows /admins/resellers/: "", "new" or an id. */
export function renderResellers(main: HTMLElement, rest: string): void {
  if (rest === "new") return void renderResellerForm(main, null);
  if (/^\d+$/.test(rest)) return void renderResellerForm(main, Number(rest));
  renderResellerList(main);
}

function head(title: string, ...extra: (HTMLElement | null)[]): HTMLElement[] {
  return [h("div", { class: "page-head" }, h("h1", {}, title), ...extra), adminTabs("resellers")];
}

function renderResellerList(main: HTMLElement): void {
  // The NAS names for the "NAS assigned" column; a page without them still lists the resellers.
  let nas = new Map<number, NasRef>();
  const view = listView<Reseller>({
    searchPlaceholder: "Search reseller name",
    load: async (query) => {
      const [answer, names] = await Promise.all([
        request<ListAnswer<Reseller>>(`/resellers?${listQueryString(query, kPerPage)}`),
        nasNames().catch(() => new Map<number, NasRef>()),
      ]);
      nas = names;
      return answer;
    },
    render: (page) =>
      dataTable<Reseller>({
        testid: "resellers-table",
        rows: page.items,
        key: (r) => r.id,
        rowAttrs: (r) => ({ "data-name": r.name }),
        columns: [
          { label: "Name", cell: (r) => h("a", { href: `/admins/resellers/${r.id}` }, r.name) },
          {
            label: "NAS assigned",
            cell: (r) => (r.nas_ids.length ? r.nas_ids.map((id) => nas.get(id)?.name ?? `#${id}`).join(", ") : h("span", { class: "muted" }, "none: its admins see no NAS")),
          },
          { label: "Subscribers", numeric: true, cell: (r) => String(r.subscriber_count) },
          { label: "Admins", numeric: true, cell: (r) => String(r.admin_count) },
          { label: "Created", cell: (r) => formatTime(r.created_at) },
        ],
      }).element,
    empty: (filtered) =>
      filtered
        ? { title: "No reseller matches", advice: "Check the spelling, or clear the search box." }
        : { title: "No resellers yet", advice: "Use New reseller to add one, then assign it NAS devices." },
  });
  main.replaceChildren(
    ...head("Resellers", mayEdit() ? h("a", { class: "button primary", href: "/admins/resellers/new", "data-testid": "new-reseller" }, "New reseller") : null),
    view.element,
  );
}

async function renderResellerForm(main: HTMLElement, id: number | null): Promise<void> {
  main.replaceChildren(...head(id === null ? "New reseller" : "Reseller"), loadingCard());
  let reseller: Reseller | null = null;
  let nasList: NasRef[] = [];
  try {
    [reseller, nasList] = await Promise.all([
      id === null ? Promise.resolve(null) : request<Reseller>(`/resellers/${id}`),
      nasNames().then((m) => [...m.values()]),
    ]);
  } catch (e) {
    main.replaceChildren(...head("Reseller"), errorCard(e, () => void renderResellerForm(main, id)));
    return;
  }
  const editable = mayEdit();
  const name = new Field("name", "Name", input({ value: reseller?.name ?? "", autocomplete: "off", disabled: !editable }));
  const general = formAlert();
  const saved = h("p", { class: "alert info", role: "status", "data-testid": "saved", hidden: true });
  const assigned = new Set(reseller?.nas_ids ?? []);
  const boxes = nasList.map((n) => {
    const box = input({ type: "checkbox", value: String(n.id), checked: assigned.has(n.id), disabled: !editable });
    return { nas: n, box };
  });
  const nasError = h("p", { class: "field-error", role: "alert", "data-testid": "error-nas_ids", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, id === null ? "Create reseller" : "Save");

  const form = h(
    "form",
    {
      class: "card form",
      novalidate: true,
      "data-testid": "reseller-form",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        clearFormErrors([name], general);
        nasError.hidden = true;
        saved.hidden = true;
        if (!name.input.value.trim()) return name.showError("is required");
        submit.disabled = true;
        const nasIds = boxes.filter((b) => b.box.checked).map((b) => b.nas.id);
        try {
          if (id === null) {
            const created = await request<Reseller>("/resellers", { body: { name: name.input.value.trim(), nas_ids: nasIds } });
            navigate(`/admins/resellers/${created.id}`);
            return;
          }
          if (name.input.value.trim() !== reseller?.name) {
            reseller = await request<Reseller>(`/resellers/${id}`, { method: "PATCH", body: { name: name.input.value.trim() } });
          }
        } catch (e) {
          showFormError(e, [name], general);
          if (e instanceof ApiError && e.field === "nas_ids") showFormError(e, [], nasError);
          submit.disabled = false;
          return;
        }
        try {
          // PUT replaces the whole set (reseller_nas).
          if (nasList.length) reseller = await request<Reseller>(`/resellers/${id}/nas`, { method: "PUT", body: { nas_ids: nasIds } });
          saved.textContent = "Saved.";
          saved.hidden = false;
        } catch (e) {
          showFormError(e, [], nasError);
        } finally {
          submit.disabled = false;
        }
      },
    },
    general,
    saved,
    name.row,
    h(
      "fieldset",
      { class: "field nas-pick", "data-testid": "reseller-nas" },
      h("legend", {}, "NAS devices this reseller may use"),
      boxes.length
        ? h(
            "div",
            { class: "checks" },
            ...boxes.map(({ nas, box }) => h("label", { class: "check" }, box, ` ${nas.name} `, h("span", { class: "muted" }, nas.ip))),
          )
        : h("p", { class: "hint first" }, can("nas.view") ? "No NAS yet: add one on the NAS page first." : "You may not list NAS devices."),
      nasError,
    ),
    editable
      ? h(
          "div",
          { class: "actions" },
          submit,
          h("a", { href: "/admins/resellers", class: "button secondary" }, "Back to resellers"),
          id !== null ? h("button", { type: "button", class: "danger push-right", onclick: () => void remove() }, "Delete reseller") : "",
        )
      : "",
  );
  // Refused (409, with the counts) while subscribers, admins or child resellers belong to it.
  const remove = async () => {
    const deleted = await actionDialog({
      title: `Delete reseller ${reseller?.name ?? ""}?`,
      text: "Its NAS assignments go with it. A reseller with subscribers or admins cannot be deleted.",
      confirmLabel: "Delete reseller",
      danger: true,
      action: () => request<void>(`/resellers/${id}`, { method: "DELETE" }),
    });
    if (deleted) navigate("/admins/resellers");
  };
  main.replaceChildren(
    ...head(id === null ? "New reseller" : `Reseller ${reseller?.name ?? ""}`),
    reseller
      ? h(
          "section",
          { class: "card" },
          h(
            "dl",
            { class: "facts" },
            h("dt", {}, "Subscribers"),
            h("dd", {}, String(reseller.subscriber_count)),
            h("dt", {}, "Admins"),
            h("dd", {}, String(reseller.admin_count)),
            h("dt", {}, "Created"),
            h("dd", {}, formatTime(reseller.created_at)),
          ),
        )
      : "",
    form,
  );
  name.input.focus();
}
