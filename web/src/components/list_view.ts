// A list page's body: a toolbar (search box, filter selects, page actions), then exactly one of
// loading / error (the server's message and Retry) / empty (what to do) / the table, then the
// pager. The search, filters and page live in the location's query (?q=&page=&...) so a view
// can be bookmarked and survives a reload; the location changes when the answer arrives, so it
// always names what is on screen. Reloads after the first keep the old table on screen
// (aria-busy) so an auto-refresh does not flicker; a stale answer is dropped.

import { h, type Child } from "../dom";
import { debounce, emptyState, errorCard, loadingCard, pager, queryParams, replaceQuery, type PageInfo } from "./page_kit";
import { searchBox } from "./search_box";

export interface ListPage<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

export interface ListQuery {
  q: string;
  page: number;
  /** Filter values by name; "" = no filter. */
  filters: Record<string, string>;
}

export interface FilterDef {
  name: string;
  label: string;
  /** A select (the default), a free-text box (debounced like the search) or a local date-time. */
  input?: "select" | "text" | "datetime-local";
  /** For a select: [value, label]; an "any" entry with value "" comes first automatically. */
  options?: [string, string][];
  placeholder?: string;
}

export interface ListViewOptions<T> {
  load: (query: ListQuery) => Promise<ListPage<T>>;
  /** The table (or anything) for a non-empty page. */
  render: (page: ListPage<T>, reload: () => void) => Node;
  /** Title and advice when nothing matches; `filtered` is true when a search or filter is on. */
  empty: (filtered: boolean) => { title: string; advice: Child };
  searchPlaceholder?: string;
  /** false: no search box (a list the API cannot search). */
  search?: boolean;
  filters?: FilterDef[];
  /** Buttons beside the search (Add, bulk actions). */
  actions?: Child[];
  /** Keep the query in the location (default true). */
  syncUrl?: boolean;
  /** Called after each successful load (e.g. to show an "updated at" time). */
  onLoaded?: (page: ListPage<T>) => void;
}

export interface ListView {
  element: HTMLElement;
  reload: () => Promise<void>;
  query: () => ListQuery;
  /** Empties the search and every filter and shows page 1. */
  clear: () => void;
}

export function listView<T>(options: ListViewOptions<T>): ListView {
  const syncUrl = options.syncUrl ?? true;
  const params = syncUrl ? queryParams() : new URLSearchParams();
  const query: ListQuery = {
    q: params.get("q") ?? "",
    page: Math.max(1, Number.parseInt(params.get("page") ?? "1", 10) || 1),
    filters: Object.fromEntries((options.filters ?? []).map((f) => [f.name, params.get(f.name) ?? ""])),
  };
  const body = h("div", { class: "list-body" }, loadingCard());
  const pagerSlot = h("div", { class: "pager-slot" });
  let sequence = 0;
  let shown = false;

  const path = window.location.pathname;
  const writeUrl = () => {
    // A late answer after the operator went to another page must not touch that page's query.
    if (!syncUrl || window.location.pathname !== path) return;
    const next = new URLSearchParams();
    if (query.q) next.set("q", query.q);
    for (const [name, value] of Object.entries(query.filters)) if (value) next.set(name, value);
    if (query.page > 1) next.set("page", String(query.page));
    replaceQuery(next);
  };

  const reload = async () => {
    const mine = ++sequence;
    if (!shown) body.replaceChildren(loadingCard());
    body.setAttribute("aria-busy", "true");
    try {
      const page = await options.load({ ...query, filters: { ...query.filters } });
      if (mine !== sequence) return;
      writeUrl();
      const filtered = query.q !== "" || Object.values(query.filters).some((v) => v !== "");
      if (page.items.length === 0 && query.page > 1 && page.total > 0) {
        // The last page emptied (a delete): show the one before.
        query.page = Math.max(1, Math.ceil(page.total / page.per_page));
        return reload();
      }
      if (page.items.length === 0) {
        const { title, advice } = options.empty(filtered);
        body.replaceChildren(emptyState(title, advice));
        shown = false;
      } else {
        body.replaceChildren(options.render(page, () => void reload()));
        shown = true;
      }
      const info: PageInfo = { total: page.total, page: page.page, per_page: page.per_page };
      pagerSlot.replaceChildren(
        page.total > 0
          ? (pager(info, (n) => {
              query.page = n;
              void reload();
            }) ?? "")
          : "",
      );
      options.onLoaded?.(page);
    } catch (e) {
      if (mine !== sequence) return;
      writeUrl();
      shown = false;
      body.replaceChildren(errorCard(e, () => void reload()));
      pagerSlot.replaceChildren();
    } finally {
      if (mine === sequence) body.removeAttribute("aria-busy");
    }
  };

  const toolbar = h("div", { class: "toolbar list-toolbar" });
  const box =
    options.search === false
      ? null
      : searchBox({
          value: query.q,
          placeholder: options.searchPlaceholder,
          onSearch: (text) => {
            query.q = text;
            query.page = 1;
            void reload();
          },
        });
  if (box) toolbar.append(box);
  const controls: (HTMLInputElement | HTMLSelectElement)[] = [];
  const setFilter = (name: string, value: string) => {
    if (query.filters[name] === value) return;
    query.filters[name] = value;
    query.page = 1;
    void reload();
  };
  for (const filter of options.filters ?? []) {
    if ((filter.input ?? "select") === "select") {
      const select = h(
        "select",
        { "aria-label": filter.label, "data-testid": `filter-${filter.name}`, name: filter.name },
        h("option", { value: "" }, `${filter.label}: any`),
        ...(filter.options ?? []).map(([value, label]) => h("option", { value, selected: query.filters[filter.name] === value }, label)),
      ) as HTMLSelectElement;
      select.addEventListener("change", () => setFilter(filter.name, select.value));
      controls.push(select);
      toolbar.append(select);
      continue;
    }
    const text = filter.input === "text";
    const field = h("input", {
      type: text ? "search" : "datetime-local",
      name: filter.name,
      value: query.filters[filter.name] ?? "",
      placeholder: filter.placeholder,
      autocomplete: "off",
      "data-testid": `filter-${filter.name}`,
    }) as HTMLInputElement;
    // Typed text waits for a pause, like the search box; a picked date applies at once.
    if (text) field.addEventListener("input", debounce(() => setFilter(filter.name, field.value.trim())));
    else field.addEventListener("change", () => setFilter(filter.name, field.value));
    controls.push(field);
    toolbar.append(h("label", { class: "filter" }, h("span", {}, filter.label), field));
  }
  if (options.actions?.length) toolbar.append(h("span", { class: "toolbar-actions" }, ...options.actions));

  void reload();
  return {
    element: h("div", { class: "list-view" }, toolbar, body, pagerSlot),
    reload,
    query: () => ({ ...query, filters: { ...query.filters } }),
    clear: () => {
      for (const control of controls) control.value = "";
      for (const name of Object.keys(query.filters)) query.filters[name] = "";
      query.page = 1;
      // Escape is the search box's own way to empty itself; it reloads when the text had been searched.
      const before = sequence;
      if (box?.value) box.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
      if (sequence !== before) return;
      void reload();
    },
  };
}

/** The query string for an API list call: page, per_page, q and the non-empty filters. */
export function listQueryString(query: ListQuery, perPage: number, rename: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  p.set("page", String(query.page));
  p.set("per_page", String(perPage));
  if (query.q) p.set(rename.q ?? "q", query.q);
  for (const [name, value] of Object.entries(query.filters)) if (value) p.set(rename[name] ?? name, value);
  return p.toString();
}
