// Admins, roles and resellers (one section, three tabs). Admins: GET/POST /admins,
// GET/PATCH /admins/{id}; roles: GET /roles, a read-only permission matrix; resellers live in
// resellers.ts under /admins/resellers. The API refuses what the role cannot do; the page hides it.

import { describeError, request } from "../api";
import { can, session } from "../auth";
import { h } from "../dom";
import { dataTable } from "../components/data_table";
import { formatTime } from "../components/format";
import { listView } from "../components/list_view";
import { Field, clearFormErrors, errorCard, formAlert, input, loadingCard, showFormError } from "../components/page_kit";
import { navigate } from "../router";
import { renderResellers } from "./resellers";

export interface AdminRow {
  id: number;
  username: string;
  role: string;
  permissions?: string[];
  reseller: { id: number; name: string } | null;
  enabled?: boolean;
  created_at?: string;
  last_login_at?: string | null;
  last_login_ip?: string | null;
}

interface Role {
  id: number;
  name: string;
  description: string;
  permissions: string[];
  builtin: boolean;
}

interface RolesAnswer {
  items: Role[];
  permissions: { name: string; description: string }[];
}

export interface ResellerOption {
  id: number;
  name: string;
}

const kPerPage = 50;

export function adminTabs(current: "admins" | "roles" | "resellers"): HTMLElement {
  const tab = (key: typeof current, href: string, label: string, shown: boolean) =>
    shown ? h("a", { href, class: "tab", "aria-current": key === current ? "page" : undefined }, label) : null;
  return h(
    "nav",
    { class: "tabs", "aria-label": "Admins, roles and resellers" },
    tab("admins", "/admins", "Admins", can("admins.view")),
    tab("roles", "/admins/roles", "Roles", can("admins.view")),
    tab("resellers", "/admins/resellers", "Resellers", can("resellers.view")),
  );
}

/** The resellers to pick from; [] when the caller may not list them (the select offers its own). */
export async function loadResellerOptions(): Promise<ResellerOption[]> {
  if (!can("resellers.view")) {
    const own = session()?.admin.reseller;
    return own ? [own] : [];
  }
  const answer = await request<{ items: ResellerOption[] }>("/resellers?per_page=500");
  return answer.items;
}

export function renderAdmins(main: HTMLElement, path: string): void {
  const rest = path.replace(/^\/admins\/?/, "");
  // Without admins.view the section is only its Resellers tab (nav.ts orPermissions).
  if (!can("admins.view") && !rest.startsWith("resellers")) return renderResellers(main, "");
  if (rest === "roles") return void renderRoles(main);
  if (rest === "resellers" || rest.startsWith("resellers/")) return renderResellers(main, rest.slice("resellers".length + 1));
  if (rest === "new") return void renderAdminForm(main, null);
  if (/^\d+$/.test(rest)) return void renderAdminForm(main, Number(rest));
  renderAdminList(main);
}

function enabledBadge(enabled: boolean | undefined): HTMLElement {
  return enabled === false ? h("span", { class: "badge bad" }, "disabled") : h("span", { class: "badge good" }, "enabled");
}

function renderAdminList(main: HTMLElement): void {
  // GET /admins answers the whole list (an ISP has a handful of admins): the search and the
  // pages are done here. Page 1 (a new search, Retry) fetches again; other pages reuse it.
  let cache: AdminRow[] | null = null;
  const view = listView<AdminRow>({
    searchPlaceholder: "Search username, role or reseller",
    load: async (query) => {
      if (cache === null || query.page === 1) cache = (await request<{ items: AdminRow[] }>("/admins")).items;
      const needle = query.q.toLowerCase();
      const rows = cache.filter(
        (a) => !needle || a.username.toLowerCase().includes(needle) || a.role.toLowerCase().includes(needle) || (a.reseller?.name.toLowerCase().includes(needle) ?? false),
      );
      return { items: rows.slice((query.page - 1) * kPerPage, query.page * kPerPage), total: rows.length, page: query.page, per_page: kPerPage };
    },
    render: (page) =>
      dataTable<AdminRow>({
        testid: "admins-table",
        rows: page.items,
        key: (a) => a.id,
        rowAttrs: (a) => ({ "data-username": a.username }),
        columns: [
          { label: "Username", cell: (a) => h("a", { href: `/admins/${a.id}` }, a.username) },
          { label: "Role", cell: (a) => a.role },
          { label: "Reseller", cell: (a) => a.reseller?.name ?? h("span", { class: "muted" }, "whole ISP") },
          { label: "Status", cell: (a) => enabledBadge(a.enabled) },
          {
            label: "Last login",
            cell: (a) => (a.last_login_at ? `${formatTime(a.last_login_at)}${a.last_login_ip ? ` from ${a.last_login_ip}` : ""}` : "never"),
          },
        ],
      }).element,
    empty: (filtered) =>
      filtered ? { title: "No admin matches", advice: "Check the spelling, or clear the search box." } : { title: "No admins yet", advice: "Use New admin to add one." },
  });
  main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Admins"),
      can("admins.create") ? h("a", { class: "button primary", href: "/admins/new", "data-testid": "new-admin" }, "New admin") : null,
    ),
    adminTabs("admins"),
    view.element,
  );
}

function roleSelect(roles: Role[], current: string): HTMLSelectElement {
  return h(
    "select",
    {},
    ...roles.map((r) => h("option", { value: r.name, selected: r.name === current }, `${r.name} — ${r.description}`)),
  ) as HTMLSelectElement;
}

function resellerSelect(resellers: ResellerOption[], current: number | null): HTMLSelectElement {
  const own = session()?.admin.reseller;
  return h(
    "select",
    {},
    own ? null : h("option", { value: "", selected: current === null }, "— the whole ISP —"),
    ...resellers.map((r) => h("option", { value: String(r.id), selected: r.id === current }, r.name)),
  ) as HTMLSelectElement;
}

async function renderAdminForm(main: HTMLElement, id: number | null): Promise<void> {
  const title = id === null ? "New admin" : "Admin";
  main.replaceChildren(h("h1", {}, title), adminTabs("admins"), loadingCard());
  let admin: AdminRow | null = null;
  let roles: Role[] = [];
  let resellers: ResellerOption[] = [];
  let resellerNote: string | null = null;
  try {
    [admin, roles] = await Promise.all([
      id === null ? Promise.resolve(null) : request<AdminRow>(`/admins/${id}`),
      request<RolesAnswer>("/roles").then((r) => r.items),
    ]);
  } catch (e) {
    main.replaceChildren(h("h1", {}, title), adminTabs("admins"), errorCard(e, () => void renderAdminForm(main, id)));
    return;
  }
  try {
    resellers = await loadResellerOptions();
  } catch (e) {
    resellerNote = `Resellers could not be listed: ${describeError(e)}`;
  }

  const editable = id === null ? can("admins.create") : can("admins.edit");
  const username = new Field("username", "Username", input({ autocomplete: "off", value: admin?.username ?? "", disabled: id !== null }), id === null ? "3–64 of a–z, 0–9, dot, dash, underscore." : undefined);
  const password = new Field(
    "password",
    id === null ? "Password" : "New password",
    input({ type: "password", autocomplete: "new-password" }),
    id === null ? "At least 10 characters." : "Leave empty to keep the current one. A new password ends the admin's sessions.",
  );
  const role = new Field("role", "Role", roleSelect(roles, admin?.role ?? "operator"));
  const reseller = new Field("reseller_id", "Reseller", resellerSelect(resellers, admin?.reseller?.id ?? session()?.admin.reseller?.id ?? null), resellerNote ?? "An admin of a reseller sees only that reseller's subscribers and NAS.");
  const enabled = input({ type: "checkbox", checked: admin?.enabled !== false });
  const enabledField = new Field("enabled", "Enabled", enabled);
  const fields = [username, password, role, reseller, enabledField];
  const general = formAlert();
  const saved = h("p", { class: "alert info", role: "status", "data-testid": "saved", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, id === null ? "Create admin" : "Save");
  if (!editable) for (const f of fields) f.input.disabled = true;

  const form = h(
    "form",
    {
      class: "card form",
      novalidate: true,
      "data-testid": "admin-form",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        clearFormErrors(fields, general);
        saved.hidden = true;
        const resellerValue = (reseller.input as HTMLSelectElement).value;
        const body: Record<string, unknown> = {
          role: (role.input as HTMLSelectElement).value,
          reseller_id: resellerValue === "" ? null : Number(resellerValue),
          enabled: enabled.checked,
        };
        if (id === null) {
          if (!username.input.value.trim()) return username.showError("is required");
          if (password.input.value.length < 10) return password.showError("must be at least 10 characters");
          body["username"] = username.input.value.trim();
          body["password"] = password.input.value;
        } else if (password.input.value) {
          if (password.input.value.length < 10) return password.showError("must be at least 10 characters");
          body["password"] = password.input.value;
        }
        submit.disabled = true;
        try {
          if (id === null) {
            const created = await request<AdminRow>("/admins", { body });
            navigate(`/admins/${created.id}`);
            return;
          }
          admin = await request<AdminRow>(`/admins/${id}`, { method: "PATCH", body });
          password.input.value = "";
          saved.textContent = "Saved.";
          saved.hidden = false;
        } catch (e) {
          showFormError(e, fields, general);
        } finally {
          submit.disabled = false;
        }
      },
    },
    general,
    saved,
    ...fields.map((f) => f.row),
    editable ? h("div", { class: "actions" }, submit, h("a", { href: "/admins", class: "button secondary" }, "Back to admins")) : null,
  );

  main.replaceChildren(
    h("h1", {}, id === null ? title : `Admin ${admin?.username ?? ""}`),
    adminTabs("admins"),
    admin
      ? h(
          "section",
          { class: "card" },
          h(
            "dl",
            { class: "facts" },
            h("dt", {}, "Created"),
            h("dd", {}, formatTime(admin.created_at)),
            h("dt", {}, "Last login"),
            h("dd", {}, admin.last_login_at ? `${formatTime(admin.last_login_at)} from ${admin.last_login_ip ?? "?"}` : "never"),
          ),
        )
      : "",
    form,
  );
  (id === null ? username : password).input.focus();
}

async function renderRoles(main: HTMLElement): Promise<void> {
  main.replaceChildren(h("h1", {}, "Roles"), adminTabs("roles"), loadingCard());
  let answer: RolesAnswer;
  try {
    answer = await request<RolesAnswer>("/roles");
  } catch (e) {
    main.replaceChildren(h("h1", {}, "Roles"), adminTabs("roles"), errorCard(e, () => void renderRoles(main)));
    return;
  }
  const roles = answer.items;
  const catalogue = answer.permissions.length
    ? answer.permissions
    : [...new Set(roles.flatMap((r) => r.permissions))].sort().map((name) => ({ name, description: "" }));
  const matrix = h(
    "table",
    { class: "data matrix", "data-testid": "roles-matrix" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, "Permission"), ...roles.map((r) => h("th", { title: r.description, class: "center" }, r.name))),
    ),
    h(
      "tbody",
      {},
      ...catalogue.map((p) =>
        h(
          "tr",
          {},
          h("th", { scope: "row", title: p.description }, h("code", {}, p.name), p.description ? h("span", { class: "muted small" }, ` ${p.description}`) : null),
          ...roles.map((r) =>
            h(
              "td",
              { class: "center" },
              r.permissions.includes(p.name) ? h("span", { class: "yes", "aria-label": "granted" }, "✓") : h("span", { class: "muted", "aria-label": "not granted" }, "·"),
            ),
          ),
        ),
      ),
    ),
  );
  main.replaceChildren(
    h("h1", {}, "Roles"),
    adminTabs("roles"),
    h(
      "section",
      { class: "card" },
      h("p", { class: "hint first" }, "Roles are read-only here. Built-in roles: ", roles.filter((r) => r.builtin).map((r) => r.name).join(", ") || "none", "."),
      h("div", { class: "scroll-x" }, matrix),
    ),
  );
}
