// Form fields built on page_kit's Field (a label, the input, a hint and the slot where the
// server's 400 for that field appears). `name` is the JSON member the API names in error.field,
// so showFormError() puts "is not an IPv4 address" beside the IP input. fieldValues() reads a
// form back as the JSON body: empty text is left out unless asked for, numbers are numbers.

import { h, type Child } from "../dom";
import { Field } from "./page_kit";

export interface TextFieldOptions {
  value?: string | number | null;
  type?: "text" | "password" | "number" | "date" | "email";
  required?: boolean;
  placeholder?: string;
  hint?: Child;
  autocomplete?: string;
  min?: number;
  max?: number;
  readonly?: boolean;
}

export function textField(name: string, label: string, options: TextFieldOptions = {}): Field {
  const input = h("input", {
    type: options.type ?? "text",
    value: options.value === null || options.value === undefined ? "" : String(options.value),
    required: options.required,
    placeholder: options.placeholder,
    autocomplete: options.autocomplete ?? (options.type === "password" ? "new-password" : "off"),
    min: options.min,
    max: options.max,
    readonly: options.readonly,
    "data-testid": `field-${name}`,
  }) as HTMLInputElement;
  return new Field(name, label, input, options.hint);
}

export function selectField(name: string, label: string, choices: [string, string][], value = "", hint?: Child): Field {
  const select = h(
    "select",
    { "data-testid": `field-${name}` },
    ...choices.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
  ) as HTMLSelectElement;
  return new Field(name, label, select, hint);
}

export function checkboxField(name: string, label: string, checked: boolean, hint?: Child): Field {
  const box = h("input", { type: "checkbox", checked, "data-testid": `field-${name}` }) as HTMLInputElement;
  const field = new Field(name, label, box, hint);
  field.row.classList.add("checkbox");
  return field;
}

/** The value of one field: checkbox -> boolean, type=number -> number, else trimmed text. */
export function fieldValue(field: Field): string | number | boolean {
  const input = field.input;
  if (input instanceof HTMLInputElement && input.type === "checkbox") return input.checked;
  if (input instanceof HTMLInputElement && input.type === "number") return input.value === "" ? "" : Number(input.value);
  return input instanceof HTMLInputElement && input.type === "password" ? input.value : input.value.trim();
}

/**
 * The JSON body of a form. Empty values are left out (the API's default, or "unchanged" on a
 * PATCH), except for the names in `emptyAsNull`, which become null (clears the value).
 */
export function fieldValues(fields: Field[], emptyAsNull: string[] = []): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    const value = fieldValue(field);
    if (value === "") {
      if (emptyAsNull.includes(field.name)) body[field.name] = null;
      continue;
    }
    body[field.name] = value;
  }
  return body;
}

/** Fields side by side on a wide screen (two or three short inputs). */
export function fieldRow(...fields: Field[]): HTMLElement {
  return h("div", { class: "field-row" }, ...fields.map((f) => f.row));
}

/** A titled group of fields. */
export function fieldset(legend: string, ...rows: Child[]): HTMLElement {
  return h("fieldset", { class: "form-group" }, h("legend", {}, legend), ...rows);
}
