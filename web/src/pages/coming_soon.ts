// A section whose page is not built yet: say so plainly, with the CLI that does the job today.
// No placeholder rows: an operator must never mistake sample data for their network.

import { h } from "../dom";
import type { Section } from "../nav";

export function renderComingSoon(main: HTMLElement, section: Section): void {
  main.replaceChildren(
    h("h1", {}, section.label),
    h(
      "section",
      { class: "card empty-state", "data-state": "coming-soon" },
      h("h2", {}, "Coming soon"),
      h("p", {}, `This page is not built yet. ${section.purpose}`),
      section.cli
        ? h("p", {}, "Meanwhile the operator CLI does it on the server: ", h("code", {}, section.cli))
        : h("p", {}, "There is no CLI for it yet either."),
    ),
  );
}

export function renderNotFound(main: HTMLElement, path: string): void {
  main.replaceChildren(
    h("h1", {}, "Page not found"),
    h(
      "section",
      { class: "card empty-state" },
      h("p", {}, "There is no page at ", h("code", {}, path), "."),
      h("p", {}, h("a", { href: "/" }, "Back to the dashboard")),
    ),
  );
}

export function renderForbidden(main: HTMLElement, section: Section): void {
  main.replaceChildren(
    h("h1", {}, section.label),
    h(
      "section",
      { class: "card empty-state" },
      h("p", {}, "Your role does not include ", h("code", {}, section.permission ?? ""), "."),
    ),
  );
}
