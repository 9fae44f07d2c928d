// Service plans: speeds, pool, simultaneous use and how many subscribers are on each. The API
// has no search parameter for services (tens of rows), so the search filters here.

import { can } from "../auth";
import { h } from "../dom";
import { dataTable } from "../components/data_table";
import { actionDialog } from "../components/dialog";
import { formatBps } from "../components/format";
import { listView } from "../components/list_view";
import { deleteService, listAllServices, type Service } from "./services_api";

const kPerPage = 50;

function speed(text: string, bps: number): HTMLElement {
  return h("span", { title: formatBps(bps) }, text || "—");
}

export function renderServiceList(main: HTMLElement): void {
  let cache: Service[] | null = null;
  const view = listView<Service>({
    searchPlaceholder: "Search service or pool name",
    load: async (query) => {
      if (cache === null || query.page === 1) cache = await listAllServices();
      const needle = query.q.toLowerCase();
      const items = cache.filter((s) => !needle || s.name.toLowerCase().includes(needle) || (s.pool ?? "").toLowerCase().includes(needle));
      return { items: items.slice((query.page - 1) * kPerPage, query.page * kPerPage), total: items.length, page: query.page, per_page: kPerPage };
    },
    render: (page, reload) =>
      dataTable<Service>({
        testid: "services-table",
        rows: page.items,
        key: (s) => s.id,
        columns: [
          { label: "Name", cell: (s) => (can("services.edit") ? h("a", { href: `/services/${s.id}` }, s.name) : h("strong", {}, s.name)) },
          { label: "Download", numeric: true, cell: (s) => speed(s.download, s.download_bps) },
          { label: "Upload", numeric: true, cell: (s) => speed(s.upload, s.upload_bps) },
          { label: "Pool", cell: (s) => (s.pool ? h("code", {}, s.pool) : h("span", { class: "muted" }, "—")) },
          { label: "Simultaneous use", numeric: true, cell: (s) => (s.simultaneous_use === 0 ? "unlimited" : String(s.simultaneous_use)) },
          { label: "Subscribers", numeric: true, cell: (s) => h("a", { href: `/subscribers?service=${encodeURIComponent(s.name)}` }, String(s.subscribers)) },
          {
            label: "",
            class: "nowrap",
            cell: (s) =>
              h(
                "span",
                { class: "row-actions" },
                can("services.edit") ? h("a", { class: "button secondary small", href: `/services/${s.id}` }, "Edit") : null,
                can("services.delete")
                  ? h(
                      "button",
                      {
                        type: "button",
                        class: "danger small",
                        "data-testid": "service-delete",
                        onclick: async () => {
                          const done = await actionDialog({
                            title: `Delete service ${s.name}?`,
                            text: s.subscribers ? `${s.subscribers} subscribers use it: move them to another service first.` : "No subscriber uses it.",
                            confirmLabel: "Delete",
                            danger: true,
                            action: () => deleteService(s.id),
                          });
                          if (done) {
                            cache = null;
                            reload();
                          }
                        },
                      },
                      "Delete",
                    )
                  : null,
              ),
          },
        ],
      }).element,
    empty: (filtered) =>
      filtered
        ? { title: "No service matches", advice: "Check the spelling or clear the search." }
        : {
            title: "No services yet",
            advice: can("services.create")
              ? "Create a plan with New service: a name, download and upload speed, and the NAS pool."
              : "An admin with services.create creates plans.",
          },
  });
  main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Services"),
      can("services.create") ? h("a", { class: "button primary", href: "/services/new", "data-testid": "service-add" }, "New service") : null,
    ),
    view.element,
  );
}
