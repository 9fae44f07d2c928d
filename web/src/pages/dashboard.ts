// The dashboard: live RADIUS figures (GET /dashboard, dashboard.view, every 10 s while the page
// is shown), server health (GET /health, no token) and the signed-in admin's role and
// permissions (GET /auth/me).

import { describeError, request, type Health } from "../api";
import { can, session, updateAdmin, type Admin } from "../auth";
import { h } from "../dom";
import { liveFigures } from "./dashboard_figures";

function badge(value: string): HTMLElement {
  const tone = value === "ok" ? "good" : value === "off" ? "muted" : "bad";
  return h("span", { class: `badge ${tone}` }, value);
}

function healthCard(health: Health, checkedAt: Date): HTMLElement {
  return h(
    "section",
    { class: "card", "aria-labelledby": "health-title", "data-testid": "health" },
    h("h2", { id: "health-title" }, "Server"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"),
      h("dd", {}, badge(health.status)),
      h("dt", {}, "PostgreSQL"),
      h("dd", {}, badge(health.database)),
      h("dt", {}, "Redis"),
      h("dd", {}, badge(health.redis)),
      h("dt", {}, "Version"),
      h("dd", {}, health.version),
    ),
    h("p", { class: "hint" }, `Checked at ${checkedAt.toLocaleTimeString()}.`),
  );
}

/** Permissions are "<resource>.<verb>": one row per resource reads better than 30 chips. */
function groupPermissions(permissions: string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const permission of [...permissions].sort()) {
    const dot = permission.indexOf(".");
    const resource = dot < 0 ? permission : permission.slice(0, dot);
    const verb = dot < 0 ? "" : permission.slice(dot + 1);
    groups.set(resource, [...(groups.get(resource) ?? []), verb]);
  }
  return groups;
}

function adminCard(admin: Admin): HTMLElement {
  const rows = [...groupPermissions(admin.permissions)].map(([resource, verbs]) =>
    h("tr", {}, h("th", { scope: "row" }, resource), h("td", {}, ...verbs.map((v) => h("span", { class: "chip" }, v)))),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "admin-title", "data-testid": "admin" },
    h("h2", { id: "admin-title" }, "Signed in as"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Username"),
      h("dd", {}, admin.username),
      h("dt", {}, "Role"),
      h("dd", { "data-testid": "role" }, admin.role),
      h("dt", {}, "Scope"),
      h("dd", {}, admin.reseller ? `reseller ${admin.reseller.name}` : "the whole ISP"),
    ),
    h("h3", {}, `Permissions (${admin.permissions.length})`),
    rows.length
      ? h("table", { class: "permissions" }, h("tbody", {}, ...rows))
      : h("p", { class: "hint" }, "This role grants no permissions."),
  );
}

export function renderDashboard(main: HTMLElement): void {
  const healthSlot = h("div", { class: "slot" }, h("section", { class: "card loading" }, "Checking the server…"));
  const adminSlot = h("div", { class: "slot" });
  const current = session()?.admin;
  if (current) adminSlot.replaceChildren(adminCard(current));

  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
  const live = can("dashboard.view") ? liveFigures() : null;
  const loadHealth = async () => {
    refresh.disabled = true;
    try {
      const health = await request<Health>("/health", { auth: false });
      healthSlot.replaceChildren(healthCard(health, new Date()));
    } catch (e) {
      healthSlot.replaceChildren(
        h("section", { class: "card" }, h("h2", {}, "Server"), h("p", { class: "alert error", role: "alert" }, describeError(e))),
      );
    } finally {
      refresh.disabled = false;
    }
  };
  refresh.addEventListener("click", () => {
    void loadHealth();
    live?.refresh();
  });

  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, "Dashboard"), refresh),
    live ? live.element : "",
    h("div", { class: "grid" }, healthSlot, adminSlot),
  );

  void loadHealth();
  // The role or permissions may have changed since login: show what the server says now.
  request<{ admin: Admin }>("/auth/me")
    .then(({ admin }) => {
      updateAdmin(admin);
      if (adminSlot.isConnected) adminSlot.replaceChildren(adminCard(admin));
    })
    .catch(() => {
      // A refused token already sent the app to the login page; anything else keeps the
      // admin from login on screen.
    });
}
