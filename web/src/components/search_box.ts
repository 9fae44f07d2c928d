// The search box every list has: type="search", debounced (300 ms) so a list is not fetched on
// every key, Enter searches at once, Escape clears. data-testid="search".

import { h } from "../dom";

export interface SearchBoxOptions {
  value?: string;
  placeholder?: string;
  /** Accessible name; the placeholder is not one. */
  label?: string;
  delayMs?: number;
  onSearch: (text: string) => void;
}

export function searchBox(options: SearchBoxOptions): HTMLInputElement {
  const box = h("input", {
    type: "search",
    class: "search-box",
    value: options.value ?? "",
    placeholder: options.placeholder ?? "Search…",
    "aria-label": options.label ?? options.placeholder ?? "Search",
    "data-testid": "search",
    autocomplete: "off",
  }) as HTMLInputElement;
  let timer: number | undefined;
  let last = box.value.trim();
  const fire = () => {
    window.clearTimeout(timer);
    const text = box.value.trim();
    if (text === last) return;
    last = text;
    options.onSearch(text);
  };
  box.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(fire, options.delayMs ?? 300);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter") fire();
    if (event.key === "Escape" && box.value) {
      box.value = "";
      fire();
    }
  });
  return box;
}
