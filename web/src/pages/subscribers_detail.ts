// One subscriber: the facts (service, status, addresses, expiry, FUP tier), today's and this
// month's usage, the open sessions with Disconnect, the last finished sessions, and the usage
// chart. Edit, Enable/Disable and Delete for the roles that may.

import { can } from "../auth";
import { h } from "../dom";
import { actionDialog } from "../components/dialog";
import { formatBytes, formatTime } from "../components/format";
import { errorCard, loadingCard } from "../components/page_kit";
import { navigate } from "../router";
import { listSessions } from "./sessions_api";
import { sessionsTable } from "./sessions_table";
import { deleteSubscriber, getSubscriber, updateSubscriber, type SubscriberDetail } from "./subscribers_api";
import { statusBadges } from "./subscribers_list";
import { usageCard } from "./subscribers_usage";

function facts(sub: SubscriberDetail): HTMLElement {
  const row = (label: string, value: Node | string) => [h("dt", {}, label), h("dd", {}, value)];
  return h(
    "section",
    { class: "card", "data-testid": "sub-facts" },
    h("h2", {}, "Subscriber"),
    h(
      "dl",
      { class: "facts" },
      ...row("Status", statusBadges(sub)),
      ...row("Service", sub.service ? h("a", { href: `/services?q=${encodeURIComponent(sub.service)}` }, sub.service) : "none"),
      ...row("FUP tier", sub.current_tier ? `FUP${sub.current_tier}` : "none"),
      ...row("Static IP", sub.static_ip ?? "from the pool"),
      ...row("MAC binding", sub.mac ?? "any"),
      ...row("Expires", sub.expires_at ? formatTime(sub.expires_at) : "never"),
      ...row("Created", formatTime(sub.created_at)),
      ...row("Password", "(set)"),
    ),
  );
}

function usageToday(sub: SubscriberDetail): HTMLElement {
  const u = sub.usage;
  const line = (label: string, t: { download: number; upload: number; total: number }) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, label),
      ...[t.download, t.upload, t.total].map((v) => h("td", { class: "num" }, formatBytes(v))),
    );
  return h(
    "section",
    { class: "card", "data-testid": "sub-usage-summary" },
    h("h2", {}, "Traffic"),
    u
      ? h(
          "table",
          { class: "data compact" },
          h("thead", {}, h("tr", {}, h("th", {}, ""), ...["Download", "Upload", "Total"].map((l) => h("th", { class: "num" }, l)))),
          h("tbody", {}, line("Today", u.today), line("This month", u.month)),
        )
      : h("p", { class: "hint" }, "No usage figures."),
    u ? h("p", { class: "hint" }, `Days in ${u.timezone}.`) : "",
  );
}

function historyCard(id: number): HTMLElement {
  const card = h("section", { class: "card", "data-testid": "sub-history" }, h("h2", {}, "Recent sessions"), loadingCard());
  listSessions(`state=closed&subscriber_id=${id}&per_page=10`)
    .then((page) => {
      card.replaceChildren(
        h("h2", {}, "Recent sessions"),
        page.items.length
          ? sessionsTable({ sessions: page.items, showUser: false, testid: "sub-history-table" })
          : h("p", { class: "hint" }, "No finished sessions yet."),
        page.total > page.items.length ? h("p", {}, h("a", { href: "/sessions/history" }, `All ${page.total} in the session history`)) : "",
      );
    })
    .catch((e) => card.replaceChildren(h("h2", {}, "Recent sessions"), errorCard(e, () => card.replaceWith(historyCard(id)))));
  return card;
}

export async function renderSubscriberDetail(main: HTMLElement, id: number): Promise<void> {
  main.replaceChildren(h("h1", {}, "Subscriber"), loadingCard());
  let sub: SubscriberDetail;
  try {
    sub = await getSubscriber(id);
  } catch (e) {
    main.replaceChildren(
      h("h1", {}, "Subscriber"),
      errorCard(e, () => void renderSubscriberDetail(main, id)),
      h("p", {}, h("a", { href: "/subscribers" }, "Back to the list")),
    );
    return;
  }
  const notice = h("p", { class: "alert info", role: "status", "data-testid": "notice", hidden: true });
  const say = (text: string) => {
    notice.textContent = text;
    notice.hidden = false;
  };
  const toggle = h(
    "button",
    {
      type: "button",
      class: sub.enabled ? "danger" : "secondary",
      "data-testid": "sub-toggle",
      onclick: async () => {
        const done = await actionDialog({
          title: `${sub.enabled ? "Disable" : "Enable"} ${sub.username}?`,
          text: sub.enabled ? "The subscriber can no longer log in; an open session is disconnected." : "The subscriber can log in again.",
          confirmLabel: sub.enabled ? "Disable" : "Enable",
          danger: sub.enabled,
          action: () => updateSubscriber(sub.id, { enabled: !sub.enabled }),
        });
        if (done) void renderSubscriberDetail(main, id);
      },
    },
    sub.enabled ? "Disable" : "Enable",
  );
  const remove = h(
    "button",
    {
      type: "button",
      class: "danger",
      "data-testid": "sub-delete",
      onclick: async () => {
        const done = await actionDialog({
          title: `Delete ${sub.username}?`,
          text: sub.online ? "Its open sessions get a Disconnect-Request. This cannot be undone." : "This cannot be undone.",
          confirmLabel: "Delete",
          danger: true,
          action: () => deleteSubscriber(sub.id),
        });
        if (done) navigate("/subscribers");
      },
    },
    "Delete",
  );
  main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", { "data-testid": "sub-title" }, sub.username),
      h(
        "span",
        { class: "head-actions" },
        can("subscribers.edit") ? h("a", { class: "button secondary", href: `/subscribers/${sub.id}/edit`, "data-testid": "sub-edit" }, "Edit") : null,
        can("subscribers.edit") ? toggle : null,
        can("subscribers.delete") ? remove : null,
      ),
    ),
    h("p", {}, h("a", { href: "/subscribers" }, "← Subscribers")),
    notice,
    h("div", { class: "grid" }, facts(sub), usageToday(sub)),
    h(
      "section",
      { class: "card", "data-testid": "sub-sessions" },
      h("h2", {}, `Online now (${sub.sessions?.length ?? 0})`),
      sub.sessions?.length
        ? sessionsTable({ sessions: sub.sessions, showUser: false, testid: "sub-sessions-table", onQueued: say })
        : h("p", { class: "hint", "data-testid": "sub-offline" }, "Not online."),
    ),
    can("sessions.view") ? historyCard(sub.id) : "",
    can("sessions.view") ? usageCard(sub.id) : "",
  );
}
