// The frame around every page once logged in: a top bar with the admin and Logout, the left
// navigation, and the main area the current page renders into.

import { type Admin } from "./auth";
import { h } from "./dom";
import { kSections, mayOpen, sectionFor } from "./nav";

export interface ShellOptions {
  admin: Admin;
  path: string;
  onLogout: () => void;
}

export function renderShell(root: HTMLElement, options: ShellOptions): HTMLElement {
  const { admin, path } = options;
  const main = h("main", { class: "content", id: "content", tabindex: "-1" });
  const links = kSections
    .filter((section) => mayOpen(section))
    .map((section) =>
      h(
        "li",
        {},
        h("a", { href: section.path, "aria-current": sectionFor(path) === section ? "page" : undefined }, section.label),
      ),
    );
  const logout = h("button", { type: "button", class: "secondary", onclick: () => options.onLogout() }, "Logout");

  root.replaceChildren(
    h(
      "div",
      { class: "shell" },
      h(
        "header",
        { class: "topbar" },
        h("a", { class: "brand", href: "/" }, h("span", { class: "logo", "aria-hidden": "true" }), "Gatehouse"),
        h(
          "div",
          { class: "who" },
          h("span", { class: "admin-name", "data-testid": "admin-name" }, admin.username),
          h("span", { class: "role" }, admin.reseller ? `${admin.role} · ${admin.reseller.name}` : admin.role),
          logout,
        ),
      ),
      h("nav", { class: "sidenav", "aria-label": "Sections" }, h("ul", {}, ...links)),
      main,
    ),
  );
  return main;
}
