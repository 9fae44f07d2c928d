// The panel's sections, in the order of the left navigation. A section is listed only when the
// admin holds its view permission (docs/api-auth.md); the API checks again on every route.

import { can } from "./auth";

export interface Section {
  path: string;
  label: string;
  /** Needed to see the section; none for the dashboard, which only shows health and the admin. */
  permission?: string;
  /** Other permissions that also open the section (a tab of it is theirs). */
  orPermissions?: string[];
  /** What the page will do, shown while it is not built. */
  purpose: string;
  /** The operator CLI that does the job meanwhile, when there is one. */
  cli?: string;
}

export const kSections: Section[] = [
  { path: "/", label: "Dashboard", purpose: "Server health and who is signed in." },
  {
    path: "/nas",
    label: "NAS",
    permission: "nas.view",
    purpose: "The BNGs allowed to talk RADIUS to Gatehouse: add, edit, test and delete them.",
    cli: "gatehouse nas list",
  },
  {
    path: "/services",
    label: "Services",
    permission: "services.view",
    purpose: "Service plans with their speeds, pools and FUP tiers.",
    cli: "gatehouse service list",
  },
  {
    path: "/subscribers",
    label: "Subscribers",
    permission: "subscribers.view",
    purpose: "Search, create, edit, enable and disable subscribers; see their sessions and usage.",
    cli: "gatehouse subscriber list",
  },
  {
    path: "/sessions",
    label: "Online sessions",
    permission: "sessions.view",
    purpose: "Who is online now, with Disconnect.",
    cli: "gatehouse session disconnect",
  },
  {
    path: "/pools",
    label: "IP pools",
    permission: "pools.view",
    purpose: "IP pools and which addresses are in use.",
    cli: "gatehouse pool list",
  },
  {
    path: "/logs",
    label: "RADIUS logs",
    permission: "logs.view",
    purpose: "Access and accounting requests with their decisions, filtered by subscriber, NAS or result.",
  },
  {
    path: "/policies",
    label: "Policies",
    permission: "policies.view",
    purpose: "View the Lua policies, reload them and try a request against them.",
    cli: "gatehouse policy eval",
  },
  {
    path: "/settings",
    label: "Settings",
    permission: "settings.view",
    purpose: "Interim interval, stale-session bound and hard-cut behaviour.",
  },
  {
    path: "/admins",
    label: "Admins",
    permission: "admins.view",
    // An operator manages resellers (resellers.view) without seeing admins: its tab is here.
    orPermissions: ["resellers.view"],
    purpose: "Admins, roles and resellers.",
    cli: "gatehouse admin list",
  },
  {
    path: "/audit",
    label: "Audit log",
    permission: "admins.view",
    purpose: "Who changed what and when, with the values before and after.",
  },
];

/** The section of a path: "/subscribers/42" belongs to "/subscribers" (detail pages). */
export function sectionFor(path: string): Section | undefined {
  return kSections.find((s) => s.path === path || (s.path !== "/" && path.startsWith(`${s.path}/`)));
}

/** The admin may open the section (the API checks every call again). */
export function mayOpen(section: Section): boolean {
  if (!section.permission) return true;
  return can(section.permission) || (section.orPermissions ?? []).some((p) => can(p));
}
