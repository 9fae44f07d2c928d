// The NAS section: /nas (list), /nas/new, /nas/{id}/edit.

import { renderNasForm } from "./nas_form";
import { renderNasList } from "./nas_list";

export function renderNas(main: HTMLElement, path: string): void {
  const rest = path.replace(/^\/nas\/?/, "");
  if (rest === "new") return void renderNasForm(main, null);
  const edit = /^(\d+)(?:\/edit)?$/.exec(rest);
  if (edit) return void renderNasForm(main, Number(edit[1]));
  renderNasList(main);
}
