// Settings (GET /settings): the ISP's policy::Settings, each key with its description, default
// and current value. settings.edit saves one key at a time, so a refused value (400) is shown
// beside that key and the others stay as they were. A change is live within a second (the
// snapshot loader LISTENs on the settings table).

import { ApiError, describeError, request } from "../api";
import { can } from "../auth";
import { h } from "../dom";
import { emptyState, errorCard, input, loadingCard } from "../components/page_kit";
import { formatTime } from "../components/format";

// docs/api/openapi-ha.fragment.yaml, schema Setting: values are text.
interface Setting {
  key: string;
  /** The effective value: the default when unset. */
  value: string;
  default: string;
  /** false when the key takes its default. */
  is_set: boolean;
  description: string;
  updated_at: string | null;
}

function isBoolean(setting: Setting): boolean {
  return setting.default === "true" || setting.default === "false";
}

export function renderSettings(main: HTMLElement): void {
  const body = h("div", {}, loadingCard());
  main.replaceChildren(h("h1", {}, "Settings"), body);
  const load = async () => {
    body.replaceChildren(loadingCard());
    try {
      const items = (await request<{ items: Setting[] }>("/settings")).items;
      if (!items.length) {
        body.replaceChildren(emptyState("No settings", "The server reports no settings."));
        return;
      }
      body.replaceChildren(
        can("settings.edit") ? "" : h("p", { class: "alert info" }, "Read-only: your role lacks settings.edit."),
        h(
          "table",
          { class: "data settings", "data-testid": "settings-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "Setting"), h("th", {}, "Value"), h("th", {}, "Default"))),
          h("tbody", {}, ...items.map(settingRow)),
        ),
      );
    } catch (e) {
      body.replaceChildren(errorCard(e, () => void load()));
    }
  };
  void load();
}

function settingRow(setting: Setting): HTMLElement {
  const editable = can("settings.edit");
  const field: HTMLInputElement | HTMLSelectElement = isBoolean(setting)
    ? (h(
        "select",
        { disabled: !editable },
        h("option", { value: "true", selected: setting.value === "true" }, "true"),
        h("option", { value: "false", selected: setting.value === "false" }, "false"),
      ) as HTMLSelectElement)
    : input({ value: setting.value, disabled: !editable, inputmode: /^\d+$/.test(setting.default) ? "numeric" : undefined });
  field.id = `setting-${setting.key}`;
  field.setAttribute("data-testid", `setting-${setting.key}`);
  const error = h("p", { class: "field-error", role: "alert", "data-testid": `setting-error-${setting.key}`, hidden: true });
  const status = h("span", { class: "saved-note", role: "status", "data-testid": `setting-status-${setting.key}` });
  const state = h("span", { class: "muted small" });
  let current = setting;
  const showState = () => {
    state.textContent = current.is_set ? `set${current.updated_at ? ` ${formatTime(current.updated_at)}` : ""}` : "default";
    reset.hidden = !editable || !current.is_set;
  };
  const save = h("button", { type: "submit", class: "secondary small", disabled: true }, "Save");
  const reset = h("button", { type: "button", class: "link small", title: `Back to the default (${setting.default})` }, "Reset to default");
  const dirty = () => {
    save.disabled = field.value === current.value;
    status.textContent = "";
  };
  field.addEventListener("input", dirty);
  field.addEventListener("change", dirty);

  // PUT /settings takes {key: value}; null deletes the row (the default again). The answer is
  // every setting after the change.
  const send = async (value: string | null) => {
    error.hidden = true;
    field.removeAttribute("aria-invalid");
    save.disabled = true;
    status.textContent = "Saving…";
    try {
      const answer = await request<{ items: Setting[] }>("/settings", { method: "PUT", body: { [setting.key]: value } });
      current = answer.items.find((s) => s.key === setting.key) ?? { ...current, value: value ?? current.default, is_set: value !== null };
      field.value = current.value;
      status.textContent = "Saved.";
      showState();
    } catch (e) {
      status.textContent = "";
      error.textContent = e instanceof ApiError ? e.message : describeError(e);
      error.hidden = false;
      field.setAttribute("aria-invalid", "true");
      save.disabled = false;
    }
  };
  reset.addEventListener("click", () => void send(null));
  const form = h(
    "form",
    {
      class: "setting-edit",
      novalidate: true,
      onsubmit: (event: Event) => {
        event.preventDefault();
        void send(field.value);
      },
    },
    field,
    editable ? save : "",
    status,
  );
  showState();
  return h(
    "tr",
    { "data-key": setting.key },
    h("th", { scope: "row" }, h("label", { for: field.id }, h("code", {}, setting.key)), setting.description ? h("p", { class: "muted small desc" }, setting.description) : ""),
    h("td", {}, form, error, h("div", { class: "setting-state" }, state, " ", reset)),
    h("td", {}, h("code", {}, setting.default || "—")),
  );
}
