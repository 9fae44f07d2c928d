// Add or edit a NAS. The secret and the RouterOS API password are write-only: the form shows
// "(set)" / "(not set)" and an empty input keeps the stored one (PATCH leaves absent fields).
// On edit only what changed is sent; require_message_authenticator cannot change once created
// (the API refuses it on PATCH), so it is read-only there. A 400 lands beside the field it names.

import { h } from "../dom";
import { checkboxField, fieldRow, fieldset, fieldValue, fieldValues, selectField, textField } from "../components/form_fields";
import { errorCard, formAlert, loadingCard, showFormError, type Field } from "../components/page_kit";
import { navigate } from "../router";
import { createNas, getNas, kNasTypes, updateNas, type Nas } from "./nas_api";

function setNote(has: boolean): string {
  return has ? "(set) — leave empty to keep it" : "(not set)";
}

function form(main: HTMLElement, nas: Nas | null): void {
  const editing = nas !== null;
  const name = textField("name", "Name", { value: nas?.name, required: true, placeholder: "core-1" });
  const ip = textField("ip", "IP address", {
    value: nas?.ip,
    required: true,
    placeholder: "10.0.0.1",
    hint: "The address the NAS sends RADIUS from (not necessarily its management address).",
  });
  const type = selectField("type", "Type", kNasTypes, nas?.type ?? "mikrotik");
  const secret = textField("secret", "Shared secret", {
    type: "password",
    required: !editing,
    placeholder: editing ? setNote(nas.has_secret) : "",
    hint: editing ? `Stored secret: ${nas.has_secret ? "(set)" : "(not set)"}. Type a new one to replace it.` : "As in the router's /radius entry.",
  });
  const coaPort = textField("coa_port", "CoA port", {
    type: "number",
    value: nas?.coa_port,
    min: 1,
    max: 65535,
    placeholder: "1700 (MikroTik) / 3799",
    hint: "Where Disconnect and CoA requests go (RFC 5176).",
  });
  const description = textField("description", "Description", { value: nas?.description });
  const enabled = checkboxField("enabled", "Enabled", nas?.enabled ?? true, "A disabled NAS is treated as unknown: its RADIUS is dropped.");
  const requireMa = checkboxField(
    "require_message_authenticator",
    "Require Message-Authenticator",
    nas?.require_message_authenticator ?? true,
    "BlastRADIUS protection; turn off only for a NAS that cannot send it.",
  );
  if (editing) (requireMa.input as HTMLInputElement).disabled = true;
  const apiUser = textField("api_username", "API user", { value: nas?.api_username, hint: "RouterOS API login; empty: no API (RADIUS and CoA only)." });
  const apiPassword = textField("api_password", "API password", {
    type: "password",
    placeholder: editing ? setNote(nas.has_api_password) : "",
    hint: editing ? `Stored password: ${nas.has_api_password ? "(set)" : "(not set)"}.` : undefined,
  });
  const apiPort = textField("api_port", "API port", { type: "number", value: nas?.api_port, min: 1, max: 65535, placeholder: "8728" });
  const apiSslPort = textField("api_ssl_port", "API TLS port", { type: "number", value: nas?.api_ssl_port, min: 1, max: 65535, placeholder: "8729" });
  const apiTls = checkboxField("api_tls", "Use TLS for the API", nas?.api_tls ?? false);

  const identity: Field[] = [name, ip, type, description, enabled];
  const radius: Field[] = [secret, coaPort, requireMa];
  const api: Field[] = [apiUser, apiPassword, apiPort, apiSslPort, apiTls];
  const fields = [...identity, ...radius, ...api];
  const general = formAlert();
  const save = h("button", { type: "submit", class: "primary", "data-testid": "nas-save" }, editing ? "Save changes" : "Add NAS");

  const body = (): Record<string, unknown> => {
    if (!editing) return fieldValues(fields);
    const before: Record<string, unknown> = {
      name: nas.name,
      ip: nas.ip,
      type: nas.type,
      coa_port: nas.coa_port,
      description: nas.description ?? "",
      enabled: nas.enabled,
      api_username: nas.api_username ?? "",
      api_port: nas.api_port ?? "",
      api_ssl_port: nas.api_ssl_port ?? "",
      api_tls: nas.api_tls,
    };
    const values: Record<string, unknown> = {};
    for (const f of fields) {
      if (f === requireMa) continue;
      const value = fieldValue(f);
      if (f === secret || f === apiPassword) {
        if (value !== "") values[f.name] = value; // empty: keep the stored one
      } else if (value !== before[f.name]) {
        // An emptied description or API user is sent as "" (the API user: removes the API).
        if (value !== "" || f === description || f === apiUser) values[f.name] = value;
      }
    }
    return values;
  };

  const element = h(
    "form",
    { class: "form card wide", novalidate: false, "data-testid": "nas-form" },
    fieldset("Identification", fieldRow(name, ip, type), description.row, enabled.row),
    fieldset("RADIUS", fieldRow(secret, coaPort), requireMa.row),
    fieldset("MikroTik API (optional)", fieldRow(apiUser, apiPassword), fieldRow(apiPort, apiSslPort), apiTls.row),
    general,
    h("div", { class: "actions" }, h("a", { class: "button secondary", href: "/nas" }, "Cancel"), save),
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const values = body();
      if (editing && Object.keys(values).length > 0) await updateNas(nas.id, values);
      else if (!editing) await createNas(values);
      navigate("/nas");
    } catch (e) {
      showFormError(e, fields, general);
    } finally {
      save.disabled = false;
    }
  });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, editing ? `Edit NAS ${nas.name}` : "Add NAS"), h("a", { href: "/nas" }, "Back to the list")),
    element,
  );
  (editing ? secret : name).input.focus();
}

export async function renderNasForm(main: HTMLElement, id: number | null): Promise<void> {
  if (id === null) return form(main, null);
  main.replaceChildren(h("h1", {}, "Edit NAS"), loadingCard());
  try {
    form(main, await getNas(id));
  } catch (e) {
    main.replaceChildren(h("h1", {}, "Edit NAS"), errorCard(e, () => void renderNasForm(main, id)));
  }
}
