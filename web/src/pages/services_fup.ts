// The FUP (fair usage) tiers of a service: up to three steps down in speed once a subscriber's
// daily or monthly usage passes a threshold. Saved as a whole list (PUT /services/{id}/fup);
// thresholds are typed in GiB and sent in bytes; 0 or empty means that threshold is off.

import { h } from "../dom";
import { formAlert, showFormError, type Field } from "../components/page_kit";
import { textField } from "../components/form_fields";
import { putFupTiers, type FupTier, type Service } from "./services_api";

const kGiB = 1024 ** 3;
const kMaxTiers = 3;

interface TierRow {
  element: HTMLElement;
  fields: Field[];
  value: () => Record<string, unknown>;
}

function gib(bytes: number | undefined): string {
  if (!bytes) return "";
  return String(Number((bytes / kGiB).toFixed(3)));
}

function tierRow(index: number, tier: Partial<FupTier>, remove: () => void): TierRow {
  const at = (name: string) => `tiers[${index}].${name}`;
  const name = textField(at("name"), "Name", { value: tier.name, placeholder: `FUP${index + 1}` });
  const daily = textField(at("daily_bytes"), "Daily GiB", { type: "number", value: gib(tier.daily_bytes), min: 0, placeholder: "off" });
  const monthly = textField(at("monthly_bytes"), "Monthly GiB", { type: "number", value: gib(tier.monthly_bytes), min: 0, placeholder: "off" });
  const download = textField(at("download"), "Download", { value: tier.download, required: true, placeholder: "2M" });
  const upload = textField(at("upload"), "Upload", { value: tier.upload, required: true, placeholder: "1M" });
  const filterId = textField(at("filter_id"), "Filter-Id", { value: tier.filter_id });
  for (const f of [daily, monthly]) f.input.setAttribute("step", "any");
  const fields = [name, daily, monthly, download, upload, filterId];
  const bytes = (f: Field) => (f.input.value === "" ? 0 : Math.round(Number(f.input.value) * kGiB));
  return {
    fields,
    element: h(
      "div",
      { class: "fup-tier", "data-testid": `fup-tier-${index + 1}` },
      h("strong", { class: "fup-label" }, `FUP${index + 1}`),
      ...fields.map((f) => f.row),
      h("button", { type: "button", class: "secondary small", onclick: remove, "aria-label": `Remove FUP${index + 1}` }, "Remove"),
    ),
    value: () => ({
      tier: index + 1,
      ...(name.input.value.trim() ? { name: name.input.value.trim() } : {}),
      daily_bytes: bytes(daily),
      monthly_bytes: bytes(monthly),
      download: download.input.value.trim(),
      upload: upload.input.value.trim(),
      ...(filterId.input.value.trim() ? { filter_id: filterId.input.value.trim() } : {}),
    }),
  };
}

export function fupEditor(service: Service): HTMLElement {
  let tiers: Partial<FupTier>[] = (service.fup_tiers ?? []).map((t) => ({ ...t }));
  let rows: TierRow[] = [];
  const list = h("div", { class: "fup-tiers" });
  const general = formAlert();
  const saved = h("p", { class: "alert success", role: "status", "data-testid": "fup-saved", hidden: true }, "FUP tiers saved.");
  const add = h("button", { type: "button", class: "secondary", "data-testid": "fup-add" }, "Add tier");
  const save = h("button", { type: "submit", class: "primary", "data-testid": "fup-save" }, "Save FUP tiers");

  const draw = () => {
    rows = tiers.map((t, i) =>
      tierRow(i, t, () => {
        tiers = rows.map((r) => r.value() as Partial<FupTier>).filter((_, j) => j !== i);
        draw();
      }),
    );
    list.replaceChildren(
      ...(rows.length ? rows.map((r) => r.element) : [h("p", { class: "hint" }, "No FUP: the plan's speed applies whatever the usage.")]),
    );
    add.hidden = tiers.length >= kMaxTiers;
  };
  add.addEventListener("click", () => {
    tiers = [...rows.map((r) => r.value() as Partial<FupTier>), {}];
    draw();
    rows[rows.length - 1]?.fields[1].input.focus();
  });

  const form = h(
    "form",
    { class: "form card wide", "data-testid": "fup-form" },
    h("h2", {}, "FUP tiers"),
    h("p", { class: "hint" }, "Each tier needs a daily or monthly threshold above the tier before it, and the speed to drop to. At most three."),
    list,
    general,
    saved,
    h("div", { class: "actions" }, add, save),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    saved.hidden = true;
    try {
      const answer = await putFupTiers(service.id, rows.map((r) => r.value()));
      tiers = answer.fup_tiers ?? [];
      draw();
      saved.hidden = false;
    } catch (e) {
      showFormError(e, rows.flatMap((r) => r.fields), general);
    } finally {
      save.disabled = false;
    }
  });
  draw();
  return form;
}
