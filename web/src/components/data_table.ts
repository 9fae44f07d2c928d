// A table of rows with optional checkboxes for bulk actions. Cells are built with h(), so a
// value from the server is always text. Each row carries data-key (its id) for tests:
// `tr[data-key="42"]`. Numeric columns align right so digits line up.

import { h, type Child } from "../dom";

export interface Column<T> {
  label: string;
  cell: (row: T) => Child;
  /** Right-aligned (counters, bytes). */
  numeric?: boolean;
  /** A class for the th and td, e.g. "nowrap". */
  class?: string;
}

export interface DataTableOptions<T> {
  columns: Column<T>[];
  rows: T[];
  key: (row: T) => string | number;
  /** Adds a checkbox column; called with the selected keys whenever they change. */
  onSelect?: (keys: Set<string>) => void;
  /** An optional class per row ("muted" for a disabled subscriber...). */
  rowClass?: (row: T) => string | undefined;
  /** Extra attributes per row, e.g. { "data-name": row.name } for a test that finds a row by name. */
  rowAttrs?: (row: T) => Record<string, string>;
  testid?: string;
  caption?: string;
}

export interface DataTable {
  element: HTMLElement;
  selected: () => Set<string>;
  clearSelection: () => void;
}

export function dataTable<T>(options: DataTableOptions<T>): DataTable {
  const selected = new Set<string>();
  const boxes: HTMLInputElement[] = [];
  const selectable = options.onSelect !== undefined;
  const all = h("input", { type: "checkbox", "aria-label": "Select all on this page", "data-testid": "select-all" }) as HTMLInputElement;

  const changed = () => {
    all.checked = boxes.length > 0 && selected.size === boxes.length;
    all.indeterminate = selected.size > 0 && selected.size < boxes.length;
    options.onSelect?.(new Set(selected));
  };
  all.addEventListener("change", () => {
    for (const box of boxes) {
      box.checked = all.checked;
      if (all.checked) selected.add(box.value);
      else selected.delete(box.value);
    }
    changed();
  });

  const head = h(
    "tr",
    {},
    selectable ? h("th", { class: "select" }, all) : null,
    ...options.columns.map((c) => h("th", { scope: "col", class: [c.numeric ? "num" : "", c.class ?? ""].join(" ").trim() || undefined }, c.label)),
  );
  const body = options.rows.map((row) => {
    const key = String(options.key(row));
    let box: HTMLInputElement | null = null;
    if (selectable) {
      box = h("input", { type: "checkbox", value: key, "aria-label": `Select ${key}` }) as HTMLInputElement;
      box.addEventListener("change", () => {
        if (box?.checked) selected.add(key);
        else selected.delete(key);
        changed();
      });
      boxes.push(box);
    }
    return h(
      "tr",
      { ...options.rowAttrs?.(row), "data-key": key, class: options.rowClass?.(row) },
      box ? h("td", { class: "select" }, box) : null,
      ...options.columns.map((c) => h("td", { class: [c.numeric ? "num" : "", c.class ?? ""].join(" ").trim() || undefined }, c.cell(row))),
    );
  });
  const element = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data", "data-testid": options.testid },
      options.caption ? h("caption", {}, options.caption) : null,
      h("thead", {}, head),
      h("tbody", {}, ...body),
    ),
  );
  return {
    element,
    selected: () => new Set(selected),
    clearSelection: () => {
      selected.clear();
      for (const box of boxes) box.checked = false;
      changed();
    },
  };
}
