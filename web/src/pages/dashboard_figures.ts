// The dashboard's live figures (GET /dashboard): online now, accepts and rejects in the last five
// minutes, the authentication rate per minute as bars, rejects by reason over 24 h, subscribers
// and NAS. Refreshed every 10 s while the section is on screen; the timer stops by itself once
// the operator leaves the page (the element is no longer connected).

import { describeError, request } from "../api";
import { h } from "../dom";

// docs/api/openapi-ha.fragment.yaml, schema Dashboard.
interface RatePoint {
  at: string;
  accepts: number;
  rejects: number;
}

interface DashboardAnswer {
  generated_at?: string;
  online_now: number;
  online_by_nas?: { nas_id: number | null; name: string; online: number }[];
  auth: { accepts_5m: number; rejects_5m: number; per_minute: RatePoint[] };
  rejects_by_reason_24h: { reason: string; count: number }[];
  accounting?: { interims_5m?: number };
  subscribers: { total: number; active: number; disabled: number; expired: number };
  nas: { total: number; online: number };
}

const kRefreshMs = 10_000;

function n(value: number | undefined): string {
  return value === undefined || value === null ? "—" : value.toLocaleString();
}

function figure(label: string, value: string, testid: string, tone = ""): HTMLElement {
  return h("div", { class: `figure ${tone}`, "data-testid": testid }, h("span", { class: "figure-value" }, value), h("span", { class: "figure-label" }, label));
}

/** Accepts and rejects per minute as stacked SVG bars; the newest minute on the right. */
function rateChart(points: RatePoint[]): SVGSVGElement | HTMLElement {
  if (!points.length) return h("p", { class: "hint first" }, "No requests in the last hour.");
  const ns = "http://www.w3.org/2000/svg";
  const width = 600;
  const height = 90;
  const gap = 1;
  const bar = Math.max(1, width / points.length - gap);
  const value = (p: RatePoint) => p.accepts + p.rejects;
  const max = Math.max(1, ...points.map(value));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "rate-chart");
  svg.setAttribute("role", "img");
  const total = points.reduce((sum, p) => sum + value(p), 0);
  svg.setAttribute("aria-label", `${total} requests in the last ${points.length} minutes, at most ${max} a minute`);
  points.forEach((p, i) => {
    const x = i * (bar + gap);
    const { accepts, rejects } = p;
    const ha = (accepts / max) * height;
    const hr = (rejects / max) * height;
    for (const [cls, y, hh] of [
      ["accept", height - ha, ha],
      ["reject", height - ha - hr, hr],
    ] as [string, number, number][]) {
      if (hh <= 0) continue;
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", x.toFixed(1));
      rect.setAttribute("y", y.toFixed(1));
      rect.setAttribute("width", bar.toFixed(1));
      rect.setAttribute("height", Math.max(1, hh).toFixed(1));
      rect.setAttribute("class", cls);
      const title = document.createElementNS(ns, "title");
      title.textContent = `${new Date(p.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${accepts} accepted, ${rejects} rejected`;
      rect.append(title);
      svg.append(rect);
    }
  });
  return svg;
}

function draw(answer: DashboardAnswer): HTMLElement[] {
  const { accepts_5m: accepts, rejects_5m: rejects } = answer.auth;
  const subs = answer.subscribers;
  const byReason = answer.rejects_by_reason_24h;
  const rejectTotal = byReason.reduce((s, r) => s + r.count, 0);
  const points = answer.auth.per_minute;
  const byNas = (answer.online_by_nas ?? []).filter((n) => n.online > 0);
  return [
    h(
      "div",
      { class: "figures" },
      figure("online now", n(answer.online_now), "fig-online"),
      figure("accepts, last 5 min", n(accepts), "fig-accepts", "good"),
      figure("rejects, last 5 min", n(rejects), "fig-rejects", rejects ? "bad" : ""),
      figure("NAS with sessions", `${n(answer.nas.online)} / ${n(answer.nas.total)}`, "fig-nas"),
    ),
    h(
      "div",
      { class: "grid" },
      h(
        "section",
        { class: "card", "data-testid": "auth-rate" },
        h("h2", {}, "Authentications per minute, last hour"),
        rateChart(points),
        points.length
          ? h(
              "div",
              { class: "axis hint" },
              h("span", {}, `${points.length} min ago`),
              h("span", {}, `peak ${Math.max(...points.map((p) => p.accepts + p.rejects))}/min`),
              h("span", {}, "now"),
            )
          : "",
        h(
          "p",
          { class: "legend hint" },
          h("span", { class: "swatch accept" }),
          " accepted ",
          h("span", { class: "swatch reject" }),
          " rejected",
          answer.accounting?.interims_5m !== undefined
            ? ` · ${n(answer.accounting.interims_5m)} interim update${answer.accounting.interims_5m === 1 ? "" : "s"} in 5 min`
            : "",
        ),
        byNas.length
          ? h(
              "table",
              { class: "data compact", "data-testid": "online-by-nas" },
              h("thead", {}, h("tr", {}, h("th", {}, "NAS"), h("th", { class: "num" }, "Online"))),
              h("tbody", {}, ...byNas.map((row) => h("tr", {}, h("td", {}, row.name), h("td", { class: "num" }, n(row.online))))),
            )
          : "",
      ),
      h(
        "section",
        { class: "card", "data-testid": "rejects-by-reason" },
        h("h2", {}, "Rejects by reason, 24 h"),
        byReason.length
          ? h(
              "table",
              { class: "data compact" },
              h(
                "tbody",
                {},
                ...byReason.map((r) =>
                  h(
                    "tr",
                    {},
                    h("td", {}, h("a", { href: `/logs?event=reject&reason=${encodeURIComponent(r.reason)}` }, r.reason || "(none)")),
                    h("td", { class: "num" }, r.count.toLocaleString()),
                    h("td", { class: "share" }, h("span", { class: "share-bar", style: `width: ${((r.count / Math.max(1, rejectTotal)) * 100).toFixed(1)}%` })),
                  ),
                ),
              ),
            )
          : h("p", { class: "hint first" }, "No rejects in the last 24 hours."),
      ),
      h(
        "section",
        { class: "card", "data-testid": "subscriber-counts" },
        h("h2", {}, "Subscribers"),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Total"),
          h("dd", { "data-testid": "subs-total" }, n(subs.total)),
          h("dt", {}, "Active"),
          h("dd", {}, n(subs.active)),
          h("dt", {}, "Disabled"),
          h("dd", {}, n(subs.disabled)),
          h("dt", {}, "Expired"),
          h("dd", {}, n(subs.expired)),
        ),
      ),
    ),
  ];
}

export interface LiveFigures {
  element: HTMLElement;
  /** Loads now (the page's Refresh button) and restarts the 10 s timer. */
  refresh: () => void;
}

/** The live section; it refreshes itself until it leaves the document. */
export function liveFigures(): LiveFigures {
  const stamp = h("span", { class: "hint inline", "data-testid": "figures-updated" });
  const body = h("div", {}, h("section", { class: "card loading" }, "Loading the figures…"));
  const section = h("section", { class: "live", "data-testid": "live-figures", "aria-live": "polite" }, h("div", { class: "live-head" }, h("h2", {}, "Live"), stamp), body);
  let timer: number | undefined;
  let failures = 0;
  const load = async () => {
    window.clearTimeout(timer);
    try {
      const answer = await request<DashboardAnswer>("/dashboard");
      if (!section.isConnected && timer !== undefined) return;
      body.replaceChildren(...draw(answer));
      failures = 0;
      stamp.textContent = `Updated ${new Date().toLocaleTimeString()}, every 10 s`;
    } catch (e) {
      failures += 1;
      // Keep the last figures on a passing error; say so beside the time.
      if (body.querySelector(".figures")) stamp.textContent = `Update failed: ${describeError(e)}`;
      else
        body.replaceChildren(
          h(
            "section",
            { class: "card", "data-state": "error" },
            h("p", { class: "alert error", role: "alert" }, describeError(e)),
            h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Retry"),
          ),
        );
    }
    // Stop once the page is left; back off while the server keeps failing.
    if (!section.isConnected && timer !== undefined) return;
    timer = window.setTimeout(() => {
      if (section.isConnected) void load();
    }, kRefreshMs * Math.min(6, 1 + failures));
  };
  void load();
  return { element: section, refresh: () => void load() };
}
