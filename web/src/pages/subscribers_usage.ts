// A subscriber's usage: the last 30 days as bars (download over upload, drawn with plain SVG,
// each bar titled with its numbers) and the last months as a table. Days are in the ISP's time
// zone, as the API counts them.

import { h } from "../dom";
import { errorCard, loadingCard } from "../components/page_kit";
import { formatBytes } from "../components/format";
import { subscriberUsage, type Usage } from "./subscribers_api";

const kSvg = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(kSvg, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(child);
  return el;
}

function dailyChart(usage: Usage): Node {
  const days = usage.days;
  const max = Math.max(1, ...days.map((d) => d.total));
  const width = 720;
  const height = 160;
  const bottom = 18;
  const step = width / Math.max(1, days.length);
  const bar = Math.max(2, step - 3);
  const scale = (v: number) => (v / max) * (height - bottom - 4);
  const bars = days.map((d, i) => {
    const x = i * step + 1.5;
    const down = scale(d.download);
    const up = scale(d.upload);
    return svg(
      "g",
      {},
      svg("title", {}, `${d.day}: ${formatBytes(d.download)} down, ${formatBytes(d.upload)} up`),
      svg("rect", { x, y: height - bottom - down, width: bar, height: Math.max(0, down), class: "bar-down" }),
      svg("rect", { x, y: height - bottom - down - up, width: bar, height: Math.max(0, up), class: "bar-up" }),
      i % 5 === 0 ? svg("text", { x: x + bar / 2, y: height - 4, "text-anchor": "middle", class: "axis" }, d.day.slice(5)) : "",
    );
  });
  return h(
    "figure",
    { class: "usage-chart" },
    svg(
      "svg",
      {
        viewBox: `0 0 ${width} ${height}`,
        role: "img",
        "aria-label": `Daily usage, last ${days.length} days, peak ${formatBytes(max)}`,
        "data-testid": "usage-chart",
      },
      ...bars,
    ),
    h(
      "figcaption",
      { class: "hint" },
      h("span", { class: "swatch down" }),
      " download ",
      h("span", { class: "swatch up" }),
      " upload · peak day ",
      formatBytes(max),
      ` · days in ${usage.timezone}`,
    ),
  );
}

function monthsTable(usage: Usage): Node {
  const months = [...usage.months].reverse().filter((m, i) => i < 6 || m.total > 0);
  return h(
    "table",
    { class: "data compact", "data-testid": "usage-months" },
    h("thead", {}, h("tr", {}, h("th", {}, "Month"), ...["Download", "Upload", "Total"].map((l) => h("th", { class: "num" }, l)))),
    h(
      "tbody",
      {},
      ...months.map((m) =>
        h("tr", {}, h("td", {}, m.month), ...[m.download, m.upload, m.total].map((v) => h("td", { class: "num" }, formatBytes(v)))),
      ),
    ),
  );
}

/** The usage card; loads on its own so the rest of the page does not wait for it. */
export function usageCard(id: number): HTMLElement {
  const card = h("section", { class: "card", "data-testid": "usage" });
  const load = async () => {
    card.replaceChildren(h("h2", {}, "Usage"), loadingCard());
    try {
      const usage = await subscriberUsage(id);
      const total = usage.days.reduce((sum, d) => sum + d.total, 0);
      card.replaceChildren(
        h("h2", {}, "Usage"),
        total === 0 ? h("p", { class: "hint" }, "No traffic in the last 30 days.") : dailyChart(usage),
        h("h3", {}, "By month"),
        monthsTable(usage),
      );
    } catch (e) {
      card.replaceChildren(h("h2", {}, "Usage"), errorCard(e, () => void load()));
    }
  };
  void load();
  return card;
}
