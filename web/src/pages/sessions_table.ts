// The sessions table, shared by the Online sessions page and a subscriber's page: who, where,
// which address, since when, how long, how much, and Disconnect for an open one (in-page
// confirm; the API queues the Disconnect-Request and the row stays until the NAS's
// Accounting-Stop, so the row says "disconnect sent" meanwhile).

import { can } from "../auth";
import { h } from "../dom";
import { dataTable } from "../components/data_table";
import { actionDialog } from "../components/dialog";
import { formatBytes, formatDuration, formatTime, secondsSince } from "../components/format";
import { disconnectSession, type Session } from "./sessions_api";

/** Session ids whose Disconnect was queued from this browser, kept across auto-refreshes. */
const kDisconnecting = new Set<number>();

function duration(s: Session): string {
  if (!s.online) return formatDuration(s.session_time);
  // The NAS's Acct-Session-Time counts from its own start; the clock here goes on between
  // interim updates. Show whichever is further along.
  return formatDuration(Math.max(s.session_time ?? 0, secondsSince(s.start) ?? 0));
}

function disconnectCell(s: Session, onQueued: (message: string) => void): HTMLElement | string {
  if (!s.online) return s.terminate_cause ? h("span", { class: "chip" }, s.terminate_cause) : "";
  if (kDisconnecting.has(s.id)) return h("span", { class: "badge muted", "data-testid": "disconnect-sent" }, "disconnect sent");
  if (!can("sessions.disconnect")) return "";
  return h(
    "button",
    {
      type: "button",
      class: "danger small",
      "data-testid": "disconnect",
      onclick: async (event: Event) => {
        const button = event.currentTarget as HTMLButtonElement;
        let message = "";
        const done = await actionDialog({
          title: `Disconnect ${s.username}?`,
          text:
            `A Disconnect-Request goes to ${s.nas ?? s.nas_ip ?? "the NAS"} for session ${s.acct_session_id}` +
            `${s.framed_ip ? ` (${s.framed_ip})` : ""}. The subscriber may dial in again.`,
          confirmLabel: "Disconnect",
          danger: true,
          action: async () => {
            const answer = await disconnectSession(s.id);
            message = `Disconnect of ${s.username} sent to ${answer.nas} (request ${answer.coa_request_id}); the session ends with the NAS's Accounting-Stop.`;
          },
        });
        if (!done) return;
        kDisconnecting.add(s.id);
        button.replaceWith(h("span", { class: "badge muted", "data-testid": "disconnect-sent" }, "disconnect sent"));
        onQueued(message);
      },
    },
    "Disconnect",
  );
}

export interface SessionsTableOptions {
  sessions: Session[];
  /** Hide the username column (a subscriber's own page). */
  showUser?: boolean;
  onQueued?: (message: string) => void;
  testid?: string;
}

export function sessionsTable(options: SessionsTableOptions): HTMLElement {
  const onQueued = options.onQueued ?? (() => {});
  return dataTable<Session>({
    testid: options.testid ?? "sessions-table",
    rows: options.sessions,
    key: (s) => s.id,
    columns: [
      ...(options.showUser === false
        ? []
        : [
            {
              label: "Username",
              cell: (s: Session) =>
                s.subscriber_id !== null
                  ? h("a", { href: `/subscribers/${s.subscriber_id}`, "data-testid": "session-user" }, s.username)
                  : h("span", { "data-testid": "session-user" }, s.username),
            },
          ]),
      { label: "NAS", cell: (s) => h("span", { title: s.nas_ip ?? "" }, s.nas ?? s.nas_ip ?? "—") },
      { label: "IP", cell: (s) => (s.framed_ip ? h("code", {}, s.framed_ip) : "—") },
      { label: "MAC", cell: (s) => s.calling_station_id ?? "—", class: "nowrap" },
      { label: "Session ID", cell: (s) => h("code", { "data-testid": "acct-session-id" }, s.acct_session_id) },
      { label: "Start", cell: (s) => formatTime(s.start), class: "nowrap" },
      { label: "Duration", cell: duration, numeric: true, class: "nowrap" },
      { label: "In", numeric: true, cell: (s) => h("span", { title: `${s.input_octets} bytes from the subscriber (upload)` }, formatBytes(s.input_octets)) },
      { label: "Out", numeric: true, cell: (s) => h("span", { title: `${s.output_octets} bytes to the subscriber (download)` }, formatBytes(s.output_octets)) },
      ...(options.sessions.some((s) => !s.online) ? [{ label: "Stop", cell: (s: Session) => formatTime(s.stop), class: "nowrap" }] : []),
      { label: "", cell: (s) => disconnectCell(s, onQueued), class: "nowrap" },
    ],
  }).element as HTMLElement;
}
