// Which function draws which section (nav.ts lists the sections). A section without an entry
// here shows "coming soon". Each page module adds one line.

import { renderDashboard } from "./dashboard";

/** Draws a section's page into the main area; `path` is the full location path. */
export type PageRenderer = (main: HTMLElement, path: string) => void | Promise<void>;

export const kPages: Record<string, PageRenderer> = {
  "/": (main) => renderDashboard(main),
};
