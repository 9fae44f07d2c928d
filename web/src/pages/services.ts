// The services section: /services (list), /services/new, /services/{id} (edit and FUP tiers).

import { renderServiceForm } from "./services_form";
import { renderServiceList } from "./services_list";

export function renderServices(main: HTMLElement, path: string): void {
  const rest = path.replace(/^\/services\/?/, "");
  if (rest === "new") return void renderServiceForm(main, null);
  const id = /^(\d+)(?:\/edit)?$/.exec(rest);
  if (id) return void renderServiceForm(main, Number(id[1]));
  renderServiceList(main);
}
