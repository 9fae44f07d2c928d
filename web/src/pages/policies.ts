// Policies: the Lua files the server runs (GET /policies, /policies/file?path=), Reload (POST
// /policies/reload: compiled and self-tested in fresh VMs, swapped only on success —
// ARCHITECTURE.md "Reload is a swap"), and "Try a request" (POST /policies/eval, a dry run that
// changes nothing).

import { ApiError, describeError, request } from "../api";
import { can } from "../auth";
import { h } from "../dom";
import { Field, clearFormErrors, emptyState, errorCard, formAlert, input, loadingCard, showFormError } from "../components/page_kit";
import { formatTime } from "../components/format";

// docs/api/openapi-hb.fragment.yaml: GET /policies, /policies/file, POST /policies/reload, /policies/eval.
interface PolicyFile {
  path: string;
  size: number;
  modified_at: string;
  entry: boolean;
  test: boolean;
}

interface PolicyError {
  file: string;
  line: number;
  message: string;
}

interface LastReload {
  outcome: "reloaded" | "unchanged" | "refused";
  trigger: string;
  at: string;
  tests_passed?: number;
  tests_failed?: number;
  ms?: number;
  error?: PolicyError | null;
}

interface PolicyList {
  directory: string;
  entry: string;
  radius_in_process: boolean;
  files: PolicyFile[];
  loaded: { generation: number; version: string; loaded_at: string | null; last_reload: LastReload | null } | null;
}

interface PolicySource {
  path: string;
  size: number;
  modified_at: string;
  text: string;
}

interface ReloadAnswer {
  outcome: "reloaded" | "unchanged" | "checked";
  generation?: number;
  version?: string;
  tests_passed?: number;
  ms?: number;
  message?: string;
}

interface EvalAnswer {
  accept: boolean;
  decision: "accept" | "reject";
  reason: string;
  reply: { name: string; value: string; tag?: number }[];
  tier?: number;
  ip?: { kind: string; pool?: string; address?: string };
  session_timeout?: number | null;
  idle_timeout?: number | null;
  version?: string;
}

interface NasOption {
  id: number;
  name: string;
  ip: string;
  type: string;
}


/**
 * The file shown: /policies?file=vendors/mikrotik.lua. A query, not a path, because the server
 * answers only dot-less paths with the panel (docs/api.md "Static files"), and a bookmark must load.
 */
function fileOfLocation(): string | null {
  return new URLSearchParams(window.location.search).get("file");
}

function fileHref(file: string, line?: number): string {
  return `/policies?file=${encodeURIComponent(file)}${line ? `#L${line}` : ""}`;
}

export function renderPolicies(main: HTMLElement): void {
  const file = fileOfLocation();
  const body = h("div", { class: "policies-layout" });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, file ? `Policy ${file}` : "Policies"), can("policies.reload") ? reloadBox() : null),
    body,
  );
  const filesCard = h("section", { class: "card files" }, loadingCard());
  const viewer = h("div", { class: "viewer" });
  body.append(h("div", { class: "policy-columns" }, filesCard, viewer));
  void loadFiles(filesCard, file);
  if (file) void loadSource(viewer, file);
  if (can("policies.eval")) main.append(tryRequestCard());
}

async function loadFiles(card: HTMLElement, current: string | null): Promise<void> {
  card.replaceChildren(loadingCard("Loading the files…"));
  try {
    const answer = await request<PolicyList>("/policies");
    if (!answer.files.length) {
      card.replaceChildren(emptyState("No policy files", `${answer.directory} holds no .lua file.`));
      return;
    }
    const last = answer.loaded?.last_reload;
    card.replaceChildren(
      h("h2", {}, "Files"),
      h(
        "ul",
        { class: "file-list", "data-testid": "policy-files" },
        ...answer.files.map((f) =>
          h(
            "li",
            {},
            h("a", { href: fileHref(f.path), "aria-current": f.path === current ? "page" : undefined, title: `${f.size} B, changed ${formatTime(f.modified_at)}` }, f.path),
            f.entry ? h("span", { class: "badge good" }, "entry") : "",
            f.test ? h("span", { class: "badge muted" }, "test") : "",
          ),
        ),
      ),
      h("p", { class: "hint" }, "In ", h("code", {}, answer.directory), "."),
      answer.loaded
        ? h(
            "p",
            { class: "hint", "data-testid": "policy-loaded" },
            `Serving generation ${answer.loaded.generation} (${answer.loaded.version.slice(0, 12)}), loaded ${formatTime(answer.loaded.loaded_at)}.`,
            last ? ` Last reload (${last.trigger}, ${formatTime(last.at)}): ${last.outcome}.` : "",
            last?.error ? h("span", { class: "field-error" }, " ", errorWithLink(`${last.error.file}:${last.error.line}: ${last.error.message}`)) : "",
          )
        : h("p", { class: "hint" }, "The RADIUS role does not run in this process: Reload checks the files; RADIUS nodes reload when the files change or on SIGHUP."),
    );
  } catch (e) {
    card.replaceChildren(errorCard(e, () => void loadFiles(card, current)));
  }
}

async function loadSource(viewer: HTMLElement, file: string): Promise<void> {
  viewer.replaceChildren(loadingCard(`Loading ${file}…`));
  try {
    const answer = await request<PolicySource>(`/policies/file?path=${encodeURIComponent(file)}`);
    const text = answer.text;
    const lines = text.replace(/\n$/, "").split("\n");
    viewer.replaceChildren(
      h(
        "section",
        { class: "card source" },
        h("h2", {}, file, h("span", { class: "muted small" }, ` ${lines.length} lines`)),
        h(
          "pre",
          { class: "code", "data-testid": "policy-source" },
          ...lines.map((line, i) => h("span", { class: "line", id: `L${i + 1}` }, h("span", { class: "ln", "aria-hidden": "true" }, String(i + 1)), line, "\n")),
        ),
      ),
    );
    // A link with #L42 (from a reload error) scrolls to that line.
    const anchor = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (anchor) {
      anchor.classList.add("hit");
      anchor.scrollIntoView({ block: "center" });
    }
  } catch (e) {
    viewer.replaceChildren(errorCard(e, () => void loadSource(viewer, file)));
  }
}

/** "policies/default.lua:42: ..." → a link to that line. */
function errorWithLink(message: string): HTMLElement {
  const m = /([\w./-]+\.lua):(\d+)/.exec(message);
  if (!m) return h("span", {}, message);
  const file = m[1].replace(/^.*?policies\//, "");
  return h("span", {}, message.slice(0, m.index), h("a", { href: fileHref(file, Number(m[2])) }, m[0]), message.slice(m.index + m[0].length));
}

function reloadBox(): HTMLElement {
  const outcome = h("div", { class: "reload-outcome", "data-testid": "reload-outcome", role: "status" });
  const button = h("button", { type: "button", class: "primary", "data-testid": "reload" }, "Reload");
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Reloading…";
    outcome.replaceChildren();
    try {
      const answer = await request<ReloadAnswer>("/policies/reload", { method: "POST" });
      const tests = answer.tests_passed !== undefined ? `, ${answer.tests_passed} self-tests passed` : "";
      const text =
        answer.outcome === "reloaded"
          ? `Reloaded: generation ${answer.generation ?? "?"} serves now${tests}.`
          : answer.outcome === "unchanged"
            ? `Reloaded: the files are unchanged, the running policy stays${tests}.`
            : `Checked${tests}: ${answer.message ?? "RADIUS nodes reload on file change or SIGHUP"}.`;
      outcome.replaceChildren(h("p", { class: "alert success" }, text));
    } catch (e) {
      // 422: the message starts with file:line; the old policy keeps serving.
      const text = e instanceof ApiError ? e.message : describeError(e);
      outcome.replaceChildren(h("p", { class: "alert error" }, "Reload refused; the running policy stays. ", errorWithLink(text)));
    } finally {
      button.disabled = false;
      button.textContent = "Reload";
    }
  });
  return h("div", { class: "head-actions reload" }, outcome, button);
}

/** "Attr = value" lines; a repeated attribute becomes a list. */
export function parseAttributeLines(text: string): { attributes: Record<string, string | string[]>; error: string | null } {
  const attributes: Record<string, string | string[]> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; ++i) {
    const line = lines[i].trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { attributes, error: `line ${i + 1}: expected "Attribute = value"` };
    const name = line.slice(0, eq).trim();
    const value = line
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    const before = attributes[name];
    attributes[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return { attributes, error: null };
}

function evalFacts(answer: EvalAnswer): HTMLElement {
  const ip = answer.ip;
  const rows: [string, string][] = [];
  if (answer.tier !== undefined) rows.push(["FUP tier", answer.tier === 0 ? "0 (normal speed)" : String(answer.tier)]);
  if (ip && ip.kind !== "none") rows.push(["Address", [ip.kind, ip.pool, ip.address].filter(Boolean).join(" · ")]);
  if (answer.session_timeout != null) rows.push(["Session-Timeout", `${answer.session_timeout} s`]);
  if (answer.idle_timeout != null) rows.push(["Idle-Timeout", `${answer.idle_timeout} s`]);
  if (answer.version) rows.push(["Policy", answer.version.slice(0, 12)]);
  return h("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function tryRequestCard(): HTMLElement {
  const user = new Field("request.User-Name", "User-Name", input({ autocomplete: "off", "data-testid": "eval-user" }), "The subscriber is read from the database as the RADIUS server sees it.");
  const password = new Field("request.User-Password", "Password", input({ type: "password", autocomplete: "off", "data-testid": "eval-password" }), "Checked like PAP; empty: no password sent.");
  const nasIp = new Field("request.NAS-IP-Address", "NAS IP", input({ placeholder: "10.0.0.1", "data-testid": "eval-nas-ip" }), "Looks the NAS up by address when no NAS is picked.");
  // The vendor comes from the NAS row (its type): pick a registered NAS to evaluate as.
  const nasSelect = h("select", { "data-testid": "eval-nas" }, h("option", { value: "" }, "by NAS IP")) as HTMLSelectElement;
  const nas = new Field("nas", "NAS type / vendor", nasSelect, "A registered NAS: its type picks the vendor reply.");
  if (can("nas.view")) {
    request<{ items: NasOption[] }>("/nas?per_page=500")
      .then(({ items }) => nasSelect.append(...items.map((n) => h("option", { value: String(n.id) }, `${n.name} — ${n.type}, ${n.ip}`))))
      .catch(() => nasSelect.append(h("option", { disabled: true }, "(the NAS list could not be loaded)")));
  }
  const extra = new Field(
    "request",
    "Extra attributes",
    h("textarea", { rows: "4", placeholder: "Calling-Station-Id = AA:BB:CC:DD:EE:FF\nNAS-Port-Type = Ethernet", "data-testid": "eval-extra" }) as HTMLTextAreaElement,
    "One per line: Attribute = value (dictionary names). Lines starting with # are skipped.",
  );
  const fields = [user, password, nasIp, nas, extra];
  const general = formAlert();
  const result = h("div", { class: "eval-result", "data-testid": "eval-result", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Evaluate");

  const form = h(
    "form",
    {
      class: "form eval-form",
      novalidate: true,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        clearFormErrors(fields, general);
        result.replaceChildren();
        const username = user.input.value.trim();
        if (!username) return user.showError("is required");
        const parsed = parseAttributeLines(extra.input.value);
        if (parsed.error) return extra.showError(parsed.error);
        const attributes: Record<string, string | string[]> = { "User-Name": username, ...parsed.attributes };
        if (password.input.value) attributes["User-Password"] = password.input.value;
        if (nasIp.input.value.trim()) attributes["NAS-IP-Address"] = nasIp.input.value.trim();
        const body: Record<string, unknown> = { request: attributes };
        if (nasSelect.value) body["nas"] = nasSelect.value;
        submit.disabled = true;
        try {
          const answer = await request<EvalAnswer>("/policies/eval", { body });
          result.replaceChildren(
            h(
              "p",
              { class: "decision" },
              "Decision: ",
              h("span", { class: `badge ${answer.accept ? "good" : "bad"}`, "data-testid": "eval-decision" }, answer.decision),
              answer.reason ? h("span", {}, ` — ${answer.reason}`) : "",
            ),
            evalFacts(answer),
            answer.reply.length
              ? h(
                  "table",
                  { class: "data", "data-testid": "eval-reply" },
                  h("thead", {}, h("tr", {}, h("th", {}, "Reply attribute"), h("th", {}, "Value"))),
                  h(
                    "tbody",
                    {},
                    ...answer.reply.map((a) => h("tr", {}, h("td", {}, h("code", {}, a.name), a.tag ? h("span", { class: "muted small" }, ` tag ${a.tag}`) : ""), h("td", {}, a.value))),
                  ),
                )
              : h("p", { class: "hint first" }, "No reply attributes."),
          );
        } catch (e) {
          // "request.Foo-Bar" names an extra attribute unless it is one of the fields above.
          if (e instanceof ApiError && e.field?.startsWith("request.") && !fields.some((f) => f.name === e.field)) {
            clearFormErrors(fields, general);
            extra.showError(`${e.field.slice("request.".length)}: ${e.message}`);
          } else if (e instanceof ApiError && e.code === "policy_error") {
            clearFormErrors(fields, general);
            general.replaceChildren("The policy failed: ", errorWithLink(e.message));
            general.hidden = false;
          } else {
            showFormError(e, fields, general);
          }
        } finally {
          submit.disabled = false;
        }
      },
    },
    general,
    h("div", { class: "form-grid" }, ...fields.slice(0, 4).map((f) => f.row)),
    extra.row,
    h("div", { class: "actions" }, submit, h("span", { class: "hint inline" }, "A dry run on the files on disk: nothing is written, no address is claimed.")),
  );
  return h("section", { class: "card try", "data-testid": "try-request" }, h("h2", {}, "Try a request"), form, result);
}
