// Create or edit a subscriber. The password is write-only ("(set) — leave empty to keep" on
// edit). On edit only what changed is sent (PATCH), and an emptied service, static IP, MAC or
// expiry is sent as null, which clears it. A 400 or 409 lands beside the field it names.

import { h } from "../dom";
import { checkboxField, fieldRow, fieldset, fieldValue, selectField, textField } from "../components/form_fields";
import { errorCard, formAlert, loadingCard, showFormError } from "../components/page_kit";
import { navigate } from "../router";
import { listAllServices } from "./services_api";
import { createSubscriber, getSubscriber, updateSubscriber, type Subscriber } from "./subscribers_api";

const kNullable = ["service", "static_ip", "mac", "expires_at"];

function form(main: HTMLElement, sub: Subscriber | null, services: string[]): void {
  const username = textField("username", "Username", {
    value: sub?.username,
    required: true,
    readonly: sub !== null,
    hint: sub ? "The RADIUS User-Name cannot change." : "The RADIUS User-Name the router sends.",
  });
  const password = textField("password", "Password", {
    type: "password",
    required: sub === null,
    placeholder: sub ? "(set) — leave empty to keep" : "",
    hint: sub ? "Stored sealed; it is never shown. Type a new one to replace it." : "PAP, CHAP and MS-CHAP need it; never shown again.",
  });
  const choices: [string, string][] = [["", "(no service)"], ...services.map((s) => [s, s] as [string, string])];
  if (sub?.service && !services.includes(sub.service)) choices.push([sub.service, sub.service]);
  const service = selectField("service", "Service", choices, sub?.service ?? (sub ? "" : (services[0] ?? "")));
  const staticIp = textField("static_ip", "Static IP", { value: sub?.static_ip, placeholder: "from the pool" });
  const mac = textField("mac", "MAC binding", { value: sub?.mac, placeholder: "any", hint: "Calling-Station-Id: aa:bb:cc:dd:ee:ff" });
  const expires = textField("expires_at", "Expires", { type: "date", value: sub?.expires_at?.slice(0, 10), hint: "The end of that day (UTC); empty: never." });
  const enabled = checkboxField("enabled", "Enabled", sub?.enabled ?? true);
  const fields = [username, password, service, staticIp, mac, expires, enabled];
  const general = formAlert();
  const save = h("button", { type: "submit", class: "primary", "data-testid": "sub-save" }, sub ? "Save changes" : "Create subscriber");

  const original: Record<string, unknown> = sub
    ? { service: sub.service ?? "", static_ip: sub.static_ip ?? "", mac: sub.mac ?? "", expires_at: sub.expires_at?.slice(0, 10) ?? "", enabled: sub.enabled }
    : {};
  const body = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const value = fieldValue(f);
      if (f === username && sub) continue;
      if (f === password) {
        if (value !== "") out.password = value;
        continue;
      }
      if (sub && value === original[f.name]) continue;
      if (value === "") {
        if (sub && kNullable.includes(f.name)) out[f.name] = null;
        continue;
      }
      out[f.name] = value;
    }
    return out;
  };

  const element = h(
    "form",
    { class: "form card wide", "data-testid": "sub-form" },
    fieldset("Login", fieldRow(username, password), enabled.row),
    fieldset("Plan", fieldRow(service, expires), fieldRow(staticIp, mac)),
    general,
    h("div", { class: "actions" }, h("a", { class: "button secondary", href: sub ? `/subscribers/${sub.id}` : "/subscribers" }, "Cancel"), save),
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const values = body();
      if (sub && Object.keys(values).length === 0) return navigate(`/subscribers/${sub.id}`);
      const saved = sub ? await updateSubscriber(sub.id, values) : await createSubscriber(values);
      navigate(`/subscribers/${saved.id}`);
    } catch (e) {
      showFormError(e, fields, general);
    } finally {
      save.disabled = false;
    }
  });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, sub ? `Edit ${sub.username}` : "New subscriber"), h("a", { href: "/subscribers" }, "Back to the list")),
    element,
  );
  (sub ? password : username).input.focus();
}

export async function renderSubscriberForm(main: HTMLElement, id: number | null): Promise<void> {
  const title = id === null ? "New subscriber" : "Edit subscriber";
  main.replaceChildren(h("h1", {}, title), loadingCard());
  try {
    const [sub, services] = await Promise.all([
      id === null ? Promise.resolve(null) : getSubscriber(id),
      listAllServices()
        .then((all) => all.map((s) => s.name))
        .catch(() => [] as string[]),
    ]);
    form(main, sub, services);
  } catch (e) {
    main.replaceChildren(h("h1", {}, title), errorCard(e, () => void renderSubscriberForm(main, id)));
  }
}
