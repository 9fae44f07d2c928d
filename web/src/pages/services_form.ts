// Create or edit a service plan; on edit, the FUP tiers editor follows (services_fup.ts).
// Rates are text ("20M", "512k"); on edit every field is sent, and an emptied optional field is
// sent as "" which the API takes as "back to the default".

import { h } from "../dom";
import { fieldRow, fieldset, fieldValue, fieldValues, selectField, textField } from "../components/form_fields";
import { clearFormErrors, errorCard, formAlert, loadingCard, showFormError } from "../components/page_kit";
import { navigate } from "../router";
import { createService, getService, updateService, type Service } from "./services_api";
import { fupEditor } from "./services_fup";

/** The API writes an unset rate as "0"; the form shows it empty (the placeholder explains). */
function rate(value: string | undefined): string {
  return value && value !== "0" ? value : "";
}

function form(main: HTMLElement, service: Service | null): void {
  const editing = service !== null;
  const s = service;
  const name = textField("name", "Name", { value: s?.name, required: true, placeholder: "home-20M" });
  const download = textField("download", "Download", { value: s?.download, required: true, placeholder: "20M", hint: "bit/s: k, M, G" });
  const upload = textField("upload", "Upload", { value: s?.upload, required: true, placeholder: "5M" });
  const pool = textField("pool", "Pool", { value: s?.pool, placeholder: "pppoe-pool", hint: "Framed-Pool: the pool's name on the NAS." });
  const managedPool = textField("managed_pool", "Managed pool", { value: s?.managed_pool, hint: "A pool Gatehouse assigns from (IP pools page)." });
  const simultaneous = textField("simultaneous_use", "Simultaneous use", {
    type: "number",
    value: s?.simultaneous_use,
    min: 0,
    placeholder: "1",
    hint: "Sessions per subscriber; 0: unlimited.",
  });
  const idle = textField("idle_timeout", "Idle timeout (s)", { type: "number", value: s?.idle_timeout || "", min: 0, placeholder: "none" });
  const sessionTimeout = textField("session_timeout", "Session timeout (s)", { type: "number", value: s?.session_timeout || "", min: 0, placeholder: "none" });
  const burstDown = textField("burst_download", "Burst download", { value: rate(s?.burst_download), placeholder: "40M" });
  const burstUp = textField("burst_upload", "Burst upload", { value: rate(s?.burst_upload), placeholder: "10M" });
  const thresholdDown = textField("burst_threshold_download", "Burst threshold download", { value: rate(s?.burst_threshold_download), placeholder: "15M" });
  const thresholdUp = textField("burst_threshold_upload", "Burst threshold upload", { value: rate(s?.burst_threshold_upload), placeholder: "4M" });
  const burstTime = textField("burst_time", "Burst time (s)", { type: "number", value: s?.burst_time || "", min: 0, max: 3600 });
  const priority = textField("priority", "Priority", { type: "number", value: s?.priority || "", min: 1, max: 8, placeholder: "8" });
  const filterId = textField("filter_id", "Filter-Id", { value: s?.filter_id });
  const addressList = textField("address_list", "Address list", { value: s?.address_list, hint: "Mikrotik-Address-List" });
  const fupCounts = selectField(
    "fup_counts",
    "FUP counts",
    [
      ["total", "download + upload"],
      ["download", "download only"],
      ["upload", "upload only"],
    ],
    s?.fup_counts ?? "total",
  );

  const fields = [name, download, upload, pool, managedPool, simultaneous, idle, sessionTimeout];
  fields.push(burstDown, burstUp, thresholdDown, thresholdUp, burstTime, priority, filterId, addressList);
  if (editing) fields.push(fupCounts);
  const general = formAlert();
  const saved = h("p", { class: "alert success", role: "status", "data-testid": "service-saved", hidden: true }, "Saved.");
  const save = h("button", { type: "submit", class: "primary", "data-testid": "service-save" }, editing ? "Save changes" : "Create service");

  const element = h(
    "form",
    { class: "form card wide", "data-testid": "service-form" },
    fieldset("Plan", fieldRow(name, download, upload), fieldRow(pool, managedPool, simultaneous), fieldRow(idle, sessionTimeout)),
    fieldset("Burst (MikroTik)", fieldRow(burstDown, burstUp, burstTime), fieldRow(thresholdDown, thresholdUp, priority)),
    fieldset("Other", editing ? fieldRow(filterId, addressList, fupCounts) : fieldRow(filterId, addressList)),
    general,
    saved,
    h("div", { class: "actions" }, h("a", { class: "button secondary", href: "/services" }, "Back"), save),
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    saved.hidden = true;
    try {
      if (s) {
        const body: Record<string, unknown> = {};
        for (const f of fields) body[f.name] = String(fieldValue(f));
        await updateService(s.id, body);
        clearFormErrors(fields, general);
        saved.hidden = false;
      } else {
        const created = await createService(fieldValues(fields));
        navigate(`/services/${created.id}`);
      }
    } catch (e) {
      showFormError(e, fields, general);
    } finally {
      save.disabled = false;
    }
  });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, s ? `Service ${s.name}` : "New service"), h("a", { href: "/services" }, "Back to the list")),
    element,
    s ? fupEditor(s) : h("p", { class: "hint" }, "FUP tiers can be added once the service exists."),
  );
}

export async function renderServiceForm(main: HTMLElement, id: number | null): Promise<void> {
  if (id === null) return form(main, null);
  main.replaceChildren(h("h1", {}, "Service"), loadingCard());
  try {
    form(main, await getService(id));
  } catch (e) {
    main.replaceChildren(h("h1", {}, "Service"), errorCard(e, () => void renderServiceForm(main, id)));
  }
}
