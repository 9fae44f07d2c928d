// Small building blocks the admin pages share (dashboard, pools, logs, policies, settings,
// admins, resellers): the loading / error / empty states of a list, pagination, and form fields
// that show the server's 400 beside the field it names. Lists are built with list_view.ts,
// confirmations with dialog.ts actionDialog, times with format.ts formatTime.

import { ApiError, describeError } from "../api";
import { h, type Child } from "../dom";

export function loadingCard(text = "Loading…"): HTMLElement {
  return h("section", { class: "card loading", "data-state": "loading", "aria-busy": "true" }, text);
}

/** The server's message and a Retry button. */
export function errorCard(error: unknown, retry: () => void): HTMLElement {
  return h(
    "section",
    { class: "card", "data-state": "error" },
    h("p", { class: "alert error", role: "alert", "data-testid": "load-error" }, describeError(error)),
    h("button", { type: "button", class: "secondary", onclick: () => retry() }, "Retry"),
  );
}

/** What to do when a list is empty: a title and one line of advice. */
export function emptyState(title: string, advice: Child): HTMLElement {
  return h("section", { class: "card empty-state", "data-state": "empty" }, h("h2", {}, title), h("p", {}, advice));
}

export interface PageInfo {
  total: number;
  page: number;
  per_page: number;
}

/** "1–50 of 312", with Previous / Next when there is more than one page. */
export function pager(info: PageInfo, go: (page: number) => void): HTMLElement {
  const pages = Math.max(1, Math.ceil(info.total / info.per_page));
  const first = info.total === 0 ? 0 : (info.page - 1) * info.per_page + 1;
  const last = Math.min(info.total, info.page * info.per_page);
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages", "data-testid": "pager" },
    h("span", { class: "hint" }, `${first}–${last} of ${info.total}`),
    pages > 1
      ? h(
          "span",
          { class: "pager-buttons" },
          h("button", { type: "button", class: "secondary", disabled: info.page <= 1, onclick: () => go(info.page - 1) }, "Previous"),
          h("span", {}, `Page ${info.page} of ${pages}`),
          h("button", { type: "button", class: "secondary", disabled: info.page >= pages, onclick: () => go(info.page + 1) }, "Next"),
        )
      : null,
  );
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms = 300): (...args: A) => void {
  let timer: number | undefined;
  return (...args: A) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}

/** A labelled input with a slot for its error; `name` is the JSON member the server names. */
export class Field {
  readonly error: HTMLElement;
  readonly row: HTMLElement;

  constructor(
    readonly name: string,
    label: string,
    readonly input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
    hint?: Child,
  ) {
    input.id ||= `f-${name}`;
    input.setAttribute("name", name);
    this.error = h("p", { class: "field-error", role: "alert", "data-testid": `error-${name}`, hidden: true });
    this.row = h(
      "div",
      { class: "field" },
      h("label", { for: input.id }, label),
      input,
      hint ? h("p", { class: "field-hint" }, hint) : null,
      this.error,
    );
  }

  showError(message: string | null): void {
    this.error.textContent = message ?? "";
    this.error.hidden = !message;
    this.input.toggleAttribute("aria-invalid", !!message);
  }
}

/**
 * Shows an API error beside the field it names, or in `general` when it names none of them.
 * Returns nothing; clears the previous errors first.
 */
export function showFormError(error: unknown, fields: Field[], general: HTMLElement): void {
  for (const field of fields) field.showError(null);
  general.hidden = true;
  if (error instanceof ApiError && error.field) {
    const field = fields.find((f) => f.name === error.field);
    if (field) {
      field.showError(error.message);
      field.input.focus();
      return;
    }
  }
  general.textContent = describeError(error);
  general.hidden = false;
}

export function clearFormErrors(fields: Field[], general: HTMLElement): void {
  for (const field of fields) field.showError(null);
  general.hidden = true;
}

export function formAlert(): HTMLElement {
  return h("p", { class: "alert error", role: "alert", "data-testid": "form-error", hidden: true });
}

/** The value of a query parameter of the current location. */
export function queryParams(): URLSearchParams {
  return new URLSearchParams(window.location.search);
}

/** Replaces the location's query without a navigation, so a filtered view can be bookmarked. */
export function replaceQuery(params: URLSearchParams): void {
  const text = params.toString();
  history.replaceState(null, "", `${window.location.pathname}${text ? `?${text}` : ""}`);
}

export function input(attrs: Record<string, string | boolean | undefined> = {}): HTMLInputElement {
  return h("input", attrs) as HTMLInputElement;
}
