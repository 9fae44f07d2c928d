// Which function draws which section (nav.ts lists the sections). A section without an entry
// here shows "coming soon". Each page module adds one line.

import { renderAdmins } from "./admins";
import { renderAudit } from "./audit";
import { renderDashboard } from "./dashboard";
import { renderLogs } from "./logs";
import { renderNas } from "./nas";
import { renderPolicies } from "./policies";
import { renderPools } from "./pools";
import { renderServices } from "./services";
import { renderSessions } from "./sessions";
import { renderSettings } from "./settings";
import { renderSubscribers } from "./subscribers";

/** Draws a section's page into the main area; `path` is the full location path. */
export type PageRenderer = (main: HTMLElement, path: string) => void | Promise<void>;

export const kPages: Record<string, PageRenderer> = {
  "/": (main) => renderDashboard(main),
  "/audit": (main) => renderAudit(main),
  "/nas": (main, path) => renderNas(main, path),
  "/services": (main, path) => renderServices(main, path),
  "/sessions": (main, path) => renderSessions(main, path),
  "/subscribers": (main, path) => renderSubscribers(main, path),
  "/pools": (main, path) => renderPools(main, path),
  "/logs": (main) => renderLogs(main),
  "/policies": (main) => renderPolicies(main),
  "/settings": (main) => renderSettings(main),
  "/admins": (main, path) => renderAdmins(main, path),
};
