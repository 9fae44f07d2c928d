// In-page dialogs (<dialog>, never window.confirm: the browser test must be able to press the
// buttons). actionDialog runs the action itself and, when the server refuses (a 409 "sessions
// are open"), shows the server's message inside the dialog instead of closing it.

import { describeError } from "../api";
import { h, type Child } from "../dom";

export interface OpenDialog {
  dialog: HTMLDialogElement;
  close: () => void;
}

/** A modal with a title, the content and a Close button; removed from the page on close. */
export function openDialog(title: string, content: Child[], testid = "dialog"): OpenDialog {
  const dialog = h("dialog", { class: "confirm panel-dialog", "data-testid": testid, "aria-label": title }) as HTMLDialogElement;
  const close = () => {
    if (dialog.open) dialog.close();
    dialog.remove();
  };
  dialog.append(
    h("h2", {}, title),
    ...content.filter((c): c is Node | string => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "string" ? h("p", {}, c) : c as Node)),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: close }, "Close")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

export interface ActionDialogOptions {
  title: string;
  text: Child;
  confirmLabel: string;
  /** A red confirm button for what cannot be undone. */
  danger?: boolean;
  /** Runs on confirm; a rejection is shown in the dialog (role=alert) and the dialog stays. */
  action: () => Promise<unknown>;
}

/** Resolves true once the action succeeded, false when cancelled. */
export function actionDialog(options: ActionDialogOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm panel-dialog", "data-testid": "confirm-dialog", "aria-label": options.title }) as HTMLDialogElement;
    const error = h("p", { class: "alert error", role: "alert", "data-testid": "dialog-error", hidden: true });
    let settled = false;
    const finish = (answer: boolean) => {
      if (settled) return;
      settled = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => finish(false) }, "Cancel");
    const confirm = h("button", { type: "button", class: options.danger ? "danger" : "primary" }, options.confirmLabel);
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      error.hidden = true;
      try {
        await options.action();
        finish(true);
      } catch (e) {
        error.textContent = describeError(e);
        error.hidden = false;
        confirm.disabled = false;
      }
    });
    dialog.append(
      h("h2", {}, options.title),
      typeof options.text === "string" ? h("p", {}, options.text) : h("div", {}, options.text),
      error,
      h("div", { class: "actions" }, cancel, confirm),
    );
    dialog.addEventListener("cancel", () => finish(false));
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
