// The subscribers section: /subscribers (list), /subscribers/new, /subscribers/{id} (detail),
// /subscribers/{id}/edit.

import { renderSubscriberDetail } from "./subscribers_detail";
import { renderSubscriberForm } from "./subscribers_form";
import { renderSubscriberList } from "./subscribers_list";

export function renderSubscribers(main: HTMLElement, path: string): void {
  const rest = path.replace(/^\/subscribers\/?/, "");
  if (rest === "new") return void renderSubscriberForm(main, null);
  const edit = /^(\d+)\/edit$/.exec(rest);
  if (edit) return void renderSubscriberForm(main, Number(edit[1]));
  if (/^\d+$/.test(rest)) return void renderSubscriberDetail(main, Number(rest));
  void renderSubscriberList(main);
}
