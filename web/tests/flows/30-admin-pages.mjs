// The admin pages as root: the dashboard's live figures after RADIUS traffic this flow makes
// itself (one Access-Accept, one Access-Reject through radclient), the RADIUS logs filtered by
// username (kept in the URL), IP pools, policies (file list, source, Try a request, Reload),
// settings (a change that persists across a reload, a bad value's 400 beside the key) and
// admins/roles. Needs nothing from 20-network: it makes its own NAS, service and subscriber.

const kSecret = "hd-flow-secret";
const kUser = "hd-alice";
const kUserPassword = "alice-pass-1";

/** Polls fn until it returns a truthy value or the deadline passes (no fixed sleeps). */
async function until(what, fn, ms = 8000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

/** A NAS at 127.0.0.1 with our secret: 20-network's if it made one (its secret replaced), else ours. */
async function ensureNas(t, token) {
  const list = await t.api("GET", "/nas?per_page=500", undefined, token);
  check(list.status === 200, `GET /nas: ${list.status}`);
  const existing = list.body.items.find((n) => n.ip === "127.0.0.1");
  if (existing) {
    const r = await t.api("PATCH", `/nas/${existing.id}`, { secret: kSecret }, token);
    check(r.status === 200, `PATCH /nas: ${r.status} ${JSON.stringify(r.body)}`);
    return existing.id;
  }
  const r = await t.api("POST", "/nas", { name: "hd-loopback", ip: "127.0.0.1", secret: kSecret, type: "mikrotik", require_message_authenticator: false }, token);
  check(r.status === 201, `POST /nas: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

async function ensureSubscriber(t, token) {
  // The plan hands out addresses from hd-pool, so the accept below puts one in use.
  let r = await t.api("POST", "/pools", { name: "hd-pool", ranges: "100.64.0.10-100.64.0.25", nas_id: null }, token);
  check([201, 409].includes(r.status), `POST /pools: ${r.status} ${JSON.stringify(r.body)}`);
  r = await t.api("POST", "/services", { name: "hd-plan", download: "20M", upload: "5M", managed_pool: "hd-pool" }, token);
  check(r.status === 201 || r.status === 409, `POST /services: ${r.status}`);
  r = await t.api("POST", "/subscribers", { username: kUser, password: kUserPassword, service: "hd-plan" }, token);
  check(r.status === 201 || r.status === 409, `POST /subscribers: ${r.status} ${JSON.stringify(r.body)}`);
}

function accessRequest(password) {
  return [`User-Name = "${kUser}"`, `User-Password = "${password}"`, "NAS-IP-Address = 127.0.0.1", "Message-Authenticator = 0x00"];
}

export async function run(t) {
  const { page, base, expectEqual } = t;
  let token;

  await t.step("setup: a NAS, a subscriber, one Access-Accept and one Access-Reject", async () => {
    token = await t.rootToken();
    await ensureNas(t, token);
    await ensureSubscriber(t, token);
    // The RADIUS side learns the new NAS and subscriber through LISTEN/NOTIFY: retry until it does.
    await until("Access-Accept", async () => /Access-Accept/.test(await t.radclient("auth", t.radius.authPort, accessRequest(kUserPassword), kSecret)), 10000);
    const reject = await t.radclient("auth", t.radius.authPort, accessRequest("not-the-password"), kSecret);
    check(/Access-Reject/.test(reject), `wrong password: ${reject.slice(0, 200)}`);
    // And a session: the dashboard counts it online.
    const start = await t.radclient(
      "acct",
      t.radius.acctPort,
      [`User-Name = "${kUser}"`, "Acct-Status-Type = Start", 'Acct-Session-Id = "hd-flow-1"', "NAS-IP-Address = 127.0.0.1", "NAS-Port = 7"],
      kSecret,
    );
    check(/Accounting-Response/.test(start), `Accounting-Start: ${start.slice(0, 200)}`);
  });

  await t.step("the dashboard shows live figures with the accepts of the last 5 minutes", async () => {
    await t.login("root", t.password);
    // The log writer is asynchronous (batched): reload until the figures count our requests.
    await until(
      "accepts and online > 0",
      async () => {
        await page.goto(`${base}/`);
        const figure = async (id) => Number((await page.getByTestId(id).locator(".figure-value").innerText()).replace(/\D/g, ""));
        return (await figure("fig-accepts")) > 0 && (await figure("fig-online")) > 0;
      },
      8000,
    );
    const online = Number((await page.getByTestId("fig-online").locator(".figure-value").innerText()).replace(/\D/g, ""));
    check(online > 0, `online figure ${online}`);
    const rejects = Number((await page.getByTestId("fig-rejects").locator(".figure-value").innerText()).replace(/\D/g, ""));
    check(rejects > 0, `rejects figure ${rejects}`);
    await page.getByTestId("rejects-by-reason").locator("table").waitFor();
    await page.getByTestId("subs-total").waitFor();
    await page.getByTestId("health").getByText("PostgreSQL").waitFor();
    await t.screenshot("dashboard");
  });

  await t.step("RADIUS logs filtered by username show the accept and the reject, and the filter is in the URL", async () => {
    await page.goto(`${base}/logs`);
    await page.getByTestId("filter-username").fill(kUser);
    await page.waitForURL(/\/logs\?username=hd-alice/);
    await until(
      "accept and reject rows",
      async () => {
        const events = await page.getByTestId("log-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-event")));
        if (events.includes("accept") && events.includes("reject")) return true;
        await page.getByRole("button", { name: "Refresh" }).click();
        return false;
      },
      8000,
    );
    // Every row is the filtered user's.
    const users = await page.getByTestId("log-row").evaluateAll((rows) => rows.map((r) => r.children[1].textContent));
    check(users.every((u) => u === kUser), `rows of other users: ${users.join(", ")}`);
    // A bookmarked view: the reload keeps the filter.
    await page.reload();
    expectEqual(await page.getByTestId("filter-username").inputValue(), kUser, "filter after reload");
    await page.getByTestId("log-row").first().waitFor();
    // A row opens to its detail JSON.
    await page.getByTestId("log-row").first().click();
    await page.getByTestId("log-detail").first().waitFor({ state: "visible" });
    await t.screenshot("logs");
  });

  await t.step("IP pools lists the pool with its size and the address in use; its page shows who holds it", async () => {
    await page.goto(`${base}/pools`);
    const row = page.getByTestId("pools-table").locator('tr[data-name="hd-pool"]');
    await row.waitFor();
    const cells = await row.locator("td").allInnerTexts();
    expectEqual(cells[3], "16", "size");
    expectEqual(cells[4], "1", "in use");
    await t.screenshot("pools");
    await row.getByRole("link", { name: "hd-pool" }).click();
    await page.getByTestId("pool-addresses").getByRole("link", { name: kUser }).waitFor();
  });

  await t.step("policies: default.lua listed and shown, Try a request gives a decision", async () => {
    await page.goto(`${base}/policies`);
    await page.getByTestId("policy-files").getByRole("link", { name: "default.lua", exact: true }).click();
    await page.waitForURL(`${base}/policies?file=default.lua`);
    await page.getByTestId("policy-source").getByText("authorize").first().waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await t.screenshot("policies");
    await page.getByTestId("eval-user").fill(kUser);
    await page.getByTestId("eval-password").fill(kUserPassword);
    await page.getByRole("button", { name: "Evaluate" }).click();
    const tryCard = page.getByTestId("try-request");
    await tryCard.locator("[data-testid=eval-decision], [role=alert]:visible").first().waitFor();
    const refused = await tryCard.locator("[role=alert]:visible").allInnerTexts();
    check(!refused.length, `eval refused: ${refused.join(" / ")}`);
    const decision = await page.getByTestId("eval-decision").innerText();
    check(/accept/i.test(decision), `decision: ${decision}`);
  });

  await t.step("policies: Reload shows its outcome", async () => {
    await page.getByTestId("reload").click();
    const outcome = page.getByTestId("reload-outcome").locator(".alert");
    await outcome.waitFor();
    const text = await outcome.innerText();
    // 200 "Reloaded…" with the radius role in the process; 202 "Checked…" without it.
    check(/^(Reloaded|Checked)/.test(text), `outcome: ${text}`);
  });

  await t.step("settings: a change saves and survives a reload; a bad value shows the 400 beside the key", async () => {
    const settings = await t.api("GET", "/settings", undefined, token);
    check(settings.status === 200, `GET /settings: ${settings.status}`);
    const items = Array.isArray(settings.body) ? settings.body : settings.body.items;
    const numeric = items.find((s) => typeof (s.value ?? s.default) === "number" || /^\d+$/.test(String(s.value ?? s.default)));
    check(numeric, "no numeric setting");
    const key = numeric.key;
    const before = String(numeric.value ?? numeric.default);
    const next = String(Number(before) + 60);
    await page.goto(`${base}/settings`);
    const field = page.getByTestId(`setting-${key}`);
    await field.fill(next);
    const row = page.locator(`tr[data-key="${key}"]`);
    await row.getByRole("button", { name: "Save" }).click();
    await page.getByTestId(`setting-status-${key}`).getByText("Saved.").waitFor();
    await page.reload();
    expectEqual(await page.getByTestId(`setting-${key}`).inputValue(), next, `${key} after reload`);
    await page.getByTestId(`setting-${key}`).fill("not a number");
    await row.getByRole("button", { name: "Save" }).click();
    const error = page.getByTestId(`setting-error-${key}`);
    await error.waitFor();
    check((await error.innerText()).length > 0, "empty error");
    await t.screenshot("settings");
    // Put the value back for the flows that follow: the default again when it was unset.
    if (numeric.is_set === false) {
      await row.getByRole("button", { name: "Reset to default" }).click();
    } else {
      await page.getByTestId(`setting-${key}`).fill(before);
      await row.getByRole("button", { name: "Save" }).click();
    }
    await page.getByTestId(`setting-status-${key}`).getByText("Saved.").waitFor();
    expectEqual(await page.getByTestId(`setting-${key}`).inputValue(), before, `${key} restored`);
  });

  await t.step("admins lists root; roles show the permission matrix", async () => {
    await page.goto(`${base}/admins`);
    await page.getByTestId("admins-table").locator('tr[data-username="root"]').waitFor();
    await page.getByRole("link", { name: "Roles", exact: true }).click();
    await page.waitForURL(`${base}/admins/roles`);
    const matrix = await page.getByTestId("roles-matrix").textContent();
    check(/superadmin/.test(matrix) && /settings\.edit/.test(matrix), "matrix lacks superadmin or settings.edit");
  });
}
