// Client-side routes on the History API. The server answers every path without a dot with
// index.html (docs/api.md, "Static files"), so /nas or /subscribers can be reloaded or bookmarked.

type Listener = (path: string) => void;
let listener: Listener = () => {};

export function currentPath(): string {
  return window.location.pathname;
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else if (path !== currentPath()) history.pushState(null, "", path);
  // A link may carry a query (/logs?username=alice): pages read it from the location; the
  // section is chosen by the path alone.
  listener(new URL(path, window.location.origin).pathname);
}

/** Renders the current path now and on every navigation; same-origin links need no handlers. */
export function startRouter(render: Listener): void {
  listener = render;
  window.addEventListener("popstate", () => listener(currentPath()));
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest("a");
    const href = link?.getAttribute("href");
    if (!link || !href || !href.startsWith("/") || href.startsWith("//") || link.target) return;
    event.preventDefault();
    navigate(href);
  });
  listener(currentPath());
}
