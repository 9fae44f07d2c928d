// Online sessions (/sessions) and the session history (/sessions/history). The online list
// refreshes itself every 10 s (pausable; the time of the last update is shown) so an operator
// watching a subscriber dial in sees it without pressing anything.

import { h } from "../dom";
import { listQueryString, listView, type FilterDef } from "../components/list_view";
import { listAllNas } from "./nas_api";
import { listSessions } from "./sessions_api";
import { sessionsTable } from "./sessions_table";

const kPerPage = 50;
const kRefreshMs = 10000;

function tabs(history: boolean): HTMLElement {
  return h(
    "nav",
    { class: "tabs", "aria-label": "Sessions" },
    h("a", { class: "tab", href: "/sessions", "aria-current": history ? undefined : "page", "data-testid": "tab-online" }, "Online now"),
    h("a", { class: "tab", href: "/sessions/history", "aria-current": history ? "page" : undefined, "data-testid": "tab-history" }, "History"),
  );
}

async function nasFilter(): Promise<FilterDef[]> {
  try {
    const all = await listAllNas();
    return all.length ? [{ name: "nas_id", label: "NAS", options: all.map((n) => [String(n.id), `${n.name} (${n.ip})`] as [string, string]) }] : [];
  } catch {
    return []; // no nas.view: the list works without the filter
  }
}

export async function renderSessions(main: HTMLElement, path: string): Promise<void> {
  const history = path.replace(/\/+$/, "") === "/sessions/history";
  const notice = h("p", { class: "alert info", role: "status", "data-testid": "notice", hidden: true });
  const updated = h("span", { class: "hint", "data-testid": "updated-at" }, "");
  main.replaceChildren(h("div", { class: "page-head" }, h("h1", {}, "Online sessions")), tabs(history), h("section", { class: "card loading" }, "Loading…"));
  const filters = await nasFilter();
  if (!main.isConnected) return;

  const view = listView({
    searchPlaceholder: "Username, IP or MAC",
    filters,
    load: (query) => listSessions(`state=${history ? "closed" : "open"}&${listQueryString(query, kPerPage)}`),
    render: (page) =>
      sessionsTable({
        sessions: page.items,
        onQueued: (message) => {
          notice.textContent = message;
          notice.hidden = false;
        },
      }),
    empty: (filtered) =>
      filtered
        ? { title: "No session matches", advice: "No session has that in its username, address or MAC; clear the search or the NAS filter." }
        : history
          ? { title: "No finished sessions yet", advice: "Sessions appear here once a NAS sends their Accounting-Stop." }
          : {
              title: "Nobody is online",
              advice: "Sessions appear when a NAS sends Accounting-Start for a subscriber. Check the NAS page if you expected some.",
            },
    onLoaded: () => {
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    },
  });

  const head = h("div", { class: "page-head" }, h("h1", {}, history ? "Session history" : "Online sessions"));
  if (!history) {
    let paused = false;
    const pause = h("button", { type: "button", class: "secondary small", "aria-pressed": "false", "data-testid": "pause" }, "Pause auto-refresh");
    pause.addEventListener("click", () => {
      paused = !paused;
      pause.setAttribute("aria-pressed", String(paused));
      pause.textContent = paused ? "Resume auto-refresh" : "Pause auto-refresh";
    });
    const now = h("button", { type: "button", class: "secondary small", "data-testid": "refresh", onclick: () => void view.reload() }, "Refresh");
    head.append(h("span", { class: "head-actions" }, updated, now, pause));
    const timer = window.setInterval(() => {
      if (!view.element.isConnected) return window.clearInterval(timer);
      if (!paused && !document.hidden) void view.reload();
    }, kRefreshMs);
  } else {
    head.append(h("span", { class: "head-actions" }, updated));
  }
  main.replaceChildren(head, tabs(history), notice, view.element);
}
