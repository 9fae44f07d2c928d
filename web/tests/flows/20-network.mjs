// The network flow of the issue, through the panel: add a NAS (127.0.0.1, CoA to the harness's
// receiver), a service with a FUP tier and a subscriber through the pages; a real radclient
// Access-Request (PAP + Message-Authenticator) is accepted and an Accounting-Start opens the
// session; the subscriber shows online on the Online sessions page and on its own page; the
// NAS cannot be deleted while the session is open (409 in the dialog); Disconnect on the page
// reaches the receiver as a verified Disconnect-Request naming the session, which answers
// Disconnect-ACK; the Accounting-Stop that a NAS then sends takes the session off the list.
// Also: a bad IP in the Add NAS form shows the server's 400 beside the IP field.

const kNas = "lab-bng-1";
const kService = "home-20M";
const kUser = "alice.web";
const kUserPassword = "wonderland-42";
const kSessionId = "web-sess-0001";
const kFramedIp = "100.64.0.10";

/** Polls fn (bounded) until it returns a truthy value; no fixed sleeps. */
async function until(fn, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms${last ? `: ${last.message.split("\n")[0]}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function run(t) {
  const { page, base, expectEqual, coa } = t;
  const secret = coa.secret;
  let subscriberId = null;
  // A real NAS NAKs a Disconnect for a session it does not have (the connection test's probe).
  coa.onDisconnect((packet) => (packet.attrs["Acct-Session-Id"] === "gatehouse-probe" ? { ack: false, errorCause: 503 } : { ack: true }));

  const radius = async (type, port, attrs) => {
    const out = await t.radclient(type, port, attrs, secret);
    const m = /Received ([A-Za-z-]+) /.exec(out);
    return { code: m ? m[1] : "none", out };
  };
  const rowOf = (testid, text) => page.getByTestId(testid).locator("tbody tr").filter({ hasText: text });

  await t.step("logged in as root", async () => {
    await page.goto(`${base}/`);
    const current = await page
      .getByTestId("admin-name")
      .innerText({ timeout: 3000 })
      .catch(() => "");
    if (current !== "root") await t.login("root", t.password);
  });

  await t.step("the Add NAS form shows the server's 400 beside the IP field", async () => {
    await page.goto(`${base}/nas`);
    await page.getByTestId("nas-add").click();
    await page.waitForURL(`${base}/nas/new`);
    await page.getByTestId("field-name").fill(kNas);
    await page.getByTestId("field-ip").fill("10.0.0.300");
    await page.getByTestId("field-type").selectOption("generic");
    await page.getByTestId("field-secret").fill(secret);
    await page.getByTestId("field-coa_port").fill(String(coa.port));
    await page.getByTestId("nas-save").click();
    const error = page.getByTestId("error-ip");
    await error.waitFor();
    const message = await error.innerText();
    if (!message.trim()) throw new Error("empty error beside the IP field");
    expectEqual(await page.getByTestId("form-error").isHidden(), true, "general error hidden");
    expectEqual(new URL(page.url()).pathname, "/nas/new", "still on the form");
  });

  await t.step("a NAS is added through the page (127.0.0.1, CoA port of the receiver)", async () => {
    await page.getByTestId("field-ip").fill("127.0.0.1");
    await page.getByTestId("nas-save").click();
    await page.waitForURL(`${base}/nas`);
    const row = rowOf("nas-table", kNas);
    await row.waitFor();
    expectEqual(await row.getByTestId("nas-secret").innerText(), "set", "secret badge");
    expectEqual(await row.getByTestId("nas-sessions").innerText(), "0", "sessions");
  });

  await t.step("Test connection shows RADIUS and CoA ok", async () => {
    await rowOf("nas-table", kNas).getByTestId("nas-test").click();
    const dialog = page.getByTestId("nas-test-dialog");
    await dialog.waitFor({ timeout: 20000 });
    if (!(await dialog.getByTestId("nas-test-checks").count())) throw new Error(`dialog: ${await dialog.innerText()}`);
    const status = async (check) => {
      const row = dialog.locator(`tr[data-check=${check}]`);
      return `${(await row.locator(".badge").innerText()).trim()} (${await row.innerText()})`;
    };
    expectEqual((await status("radius")).split(" ")[0], "ok", `radius check ${await status("radius")}`);
    expectEqual((await status("coa")).split(" ")[0], "ok", `coa check ${await status("coa")}`);
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });
  });

  await t.step("a service with a FUP tier is created through the pages", async () => {
    await page.goto(`${base}/services`);
    await page.getByTestId("service-add").click();
    await page.getByTestId("field-name").fill(kService);
    await page.getByTestId("field-download").fill("20M");
    await page.getByTestId("field-upload").fill("5M");
    await page.getByTestId("field-pool").fill("pppoe-pool");
    await page.getByTestId("service-save").click();
    await page.waitForURL(/\/services\/\d+$/);
    await page.getByTestId("fup-add").click();
    await page.getByTestId("field-tiers[0].monthly_bytes").fill("100");
    await page.getByTestId("field-tiers[0].download").fill("2M");
    await page.getByTestId("field-tiers[0].upload").fill("1M");
    await page.getByTestId("fup-save").click();
    await page.getByTestId("fup-saved").waitFor();
    await page.reload();
    expectEqual(await page.getByTestId("field-tiers[0].download").inputValue(), "2M", "tier kept after a reload");
  });

  await t.step("a subscriber is created through the page", async () => {
    await page.goto(`${base}/subscribers`);
    await page.getByTestId("sub-add").click();
    await page.getByTestId("field-username").fill(kUser);
    await page.getByTestId("field-password").fill(kUserPassword);
    await page.getByTestId("field-service").selectOption(kService);
    await page.getByTestId("sub-save").click();
    await page.waitForURL(/\/subscribers\/\d+$/);
    subscriberId = Number(new URL(page.url()).pathname.split("/").pop());
    expectEqual(await page.getByTestId("sub-title").innerText(), kUser, "title");
    await page.getByTestId("sub-offline").waitFor();
  });

  await t.step("the services list shows the plan and its subscriber count", async () => {
    await page.goto(`${base}/services`);
    const row = rowOf("services-table", kService);
    await row.waitFor();
    const text = await row.innerText();
    if (!/20M/.test(text) || !/pppoe-pool/.test(text)) throw new Error(`service row: ${text}`);
    expectEqual((await row.locator("td").nth(5).innerText()).trim(), "1", "subscribers");
    await t.screenshot("services");
  });

  await t.step("editing the NAS keeps the secret unless a new one is typed", async () => {
    await page.goto(`${base}/nas`);
    await rowOf("nas-table", kNas).getByTestId("nas-edit").click();
    await page.waitForURL(/\/nas\/\d+\/edit$/);
    const placeholder = await page.getByTestId("field-secret").getAttribute("placeholder");
    if (!placeholder?.startsWith("(set)")) throw new Error(`secret placeholder: ${placeholder}`);
    expectEqual(await page.getByTestId("field-secret").inputValue(), "", "secret input");
    await page.getByTestId("field-description").fill("lab router");
    await page.getByTestId("nas-save").click();
    await page.waitForURL(`${base}/nas`);
    const row = rowOf("nas-table", kNas);
    await row.getByText("lab router").waitFor();
    expectEqual(await row.getByTestId("nas-secret").innerText(), "set", "secret badge");
  });

  await t.step("radclient: PAP with Message-Authenticator gets Access-Accept", async () => {
    const attrs = [`User-Name = "${kUser}"`, `User-Password = "${kUserPassword}"`, "NAS-IP-Address = 127.0.0.1", "Message-Authenticator = 0x00"];
    // The server follows the database by LISTEN/NOTIFY: the NAS and subscriber are live within
    // milliseconds, but poll rather than assume.
    const answer = await until(async () => {
      const r = await radius("auth", t.radius.authPort, attrs);
      return r.code === "Access-Accept" ? r : null;
    }, "Access-Accept");
    if (!/Message-Authenticator/.test(answer.out)) throw new Error("no Message-Authenticator in the answer");
  });

  await t.step("radclient: Accounting-Start is answered", async () => {
    const r = await radius("acct", t.radius.acctPort, [
      `User-Name = "${kUser}"`,
      "Acct-Status-Type = Start",
      `Acct-Session-Id = "${kSessionId}"`,
      `Framed-IP-Address = ${kFramedIp}`,
      "NAS-IP-Address = 127.0.0.1",
      'Calling-Station-Id = "AA:BB:CC:00:11:22"',
    ]);
    expectEqual(r.code, "Accounting-Response", "answer");
  });

  await t.step("radclient: an Interim-Update with traffic is answered", async () => {
    const r = await radius("acct", t.radius.acctPort, [
      `User-Name = "${kUser}"`,
      "Acct-Status-Type = Interim-Update",
      `Acct-Session-Id = "${kSessionId}"`,
      `Framed-IP-Address = ${kFramedIp}`,
      "NAS-IP-Address = 127.0.0.1",
      "Acct-Session-Time = 60",
      "Acct-Input-Octets = 5242880",
      "Acct-Output-Octets = 52428800",
    ]);
    expectEqual(r.code, "Accounting-Response", "answer");
  });

  await t.step("the subscriber is online on the Online sessions page", async () => {
    await page.goto(`${base}/sessions`);
    const row = rowOf("sessions-table", kUser);
    // Accounting is written in batches: wait for the row with the interim's counters.
    await until(async () => {
      await page.getByTestId("refresh").click();
      return (await row.count()) === 1 && (await row.innerText()).includes("50 MiB");
    }, "session row with 50 MiB out");
    if (!(await row.innerText()).includes("5.0 MiB")) throw new Error(`bytes in: ${await row.innerText()}`);
    expectEqual(await row.getByTestId("acct-session-id").innerText(), kSessionId, "session id");
    if (!(await row.innerText()).includes(kFramedIp)) throw new Error("framed IP not shown");
    await page.getByTestId("updated-at").getByText("Updated").waitFor();
    await t.screenshot("sessions");
    const pause = page.getByTestId("pause");
    await pause.click();
    expectEqual(await pause.getAttribute("aria-pressed"), "true", "paused");
    expectEqual(await pause.innerText(), "Resume auto-refresh", "pause button");
    await pause.click();
    expectEqual(await pause.getAttribute("aria-pressed"), "false", "resumed");
  });

  await t.step("the online list finds the session by part of its address, and not by another", async () => {
    await page.goto(`${base}/sessions`);
    await page.getByTestId("search").fill("64.0.1");
    await page.waitForURL(`${base}/sessions?q=64.0.1`);
    await until(async () => (await rowOf("sessions-table", kUser).count()) === 1, "search by address");
    await page.getByTestId("search").fill("nobody-like-this");
    await page.waitForURL(`${base}/sessions?q=nobody-like-this`);
    await page.locator("[data-state=empty]").getByText("No session matches").waitFor();
  });

  await t.step("the subscriber's page shows the open session", async () => {
    await page.goto(`${base}/subscribers/${subscriberId}`);
    const table = page.getByTestId("sub-sessions-table");
    await table.waitFor();
    expectEqual(await table.getByTestId("acct-session-id").innerText(), kSessionId, "session id");
    await page.getByTestId("sub-online").waitFor();
    await page.getByTestId("usage").locator("h3").waitFor();
    await t.screenshot("subscriber-detail");
  });

  await t.step("the subscriber list finds it by search, with its online badge", async () => {
    await page.goto(`${base}/subscribers`);
    await page.getByTestId("search").fill("alice");
    await page.waitForURL(`${base}/subscribers?q=alice`); // the debounced search has run
    await until(async () => (await rowOf("subscribers-table", kUser).count()) === 1, "search result");
    await rowOf("subscribers-table", kUser).getByTestId("sub-online").waitFor();
    await t.screenshot("subscribers");
    await page.getByTestId("filter-online").selectOption("false");
    await page.locator("[data-state=empty]").getByText("No subscriber matches").waitFor();
    expectEqual(new URL(page.url()).search, "?q=alice&online=false", "query in the location");
    await page.getByTestId("filter-online").selectOption("true");
    await rowOf("subscribers-table", kUser).waitFor();
  });

  await t.step("a NAS with an open session cannot be deleted: the 409 is shown", async () => {
    await page.goto(`${base}/nas`);
    const row = rowOf("nas-table", kNas);
    await row.waitFor();
    expectEqual(await row.getByTestId("nas-sessions").innerText(), "1", "sessions");
    await row.getByTestId("nas-delete").click();
    const dialog = page.getByTestId("confirm-dialog");
    await dialog.getByRole("button", { name: "Delete" }).click();
    const error = dialog.getByTestId("dialog-error");
    await error.waitFor();
    const text = await error.innerText();
    if (!/open session/i.test(text) || !text.includes(kUser)) throw new Error(`dialog error: ${text}`);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
  });

  await t.step("the NAS list searches by name or IP and shows the API badge", async () => {
    const token = await t.rootToken();
    const created = await t.api(
      "POST",
      "/nas",
      { name: "core-2", ip: "192.0.2.2", secret: "another-secret", type: "mikrotik", api_username: "gatehouse", api_password: "api-pass" },
      token,
    );
    expectEqual(created.status, 201, `POST /nas ${JSON.stringify(created.body)}`);
    await page.goto(`${base}/nas`);
    const other = rowOf("nas-table", "core-2");
    await other.waitFor();
    expectEqual((await other.locator(".badge").filter({ hasText: "API" }).innerText()).trim(), "API", "API badge");
    await t.screenshot("nas");
    await page.getByTestId("search").fill("192.0.2");
    await page.waitForURL(`${base}/nas?q=192.0.2`);
    await other.waitFor();
    expectEqual(await rowOf("nas-table", kNas).count(), 0, "rows of other NAS");
  });

  await t.step("Disconnect on the page reaches the NAS as a verified Disconnect-Request", async () => {
    await page.goto(`${base}/sessions`);
    const row = rowOf("sessions-table", kUser);
    await row.waitFor();
    await row.getByTestId("disconnect").click();
    const dialog = page.getByTestId("confirm-dialog");
    await dialog.getByRole("button", { name: "Disconnect" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("notice").waitFor();
    await row.getByTestId("disconnect-sent").waitFor();
    // The jobs leader's coa_send runs every 5 s (docs/jobs.md).
    const packet = await coa.waitFor((p) => p.code === 40 && p.attrs["Acct-Session-Id"] === kSessionId, 15000);
    expectEqual(packet.attrs["User-Name"], kUser, "User-Name");
    expectEqual(packet.attrs["Framed-IP-Address"], kFramedIp, "Framed-IP-Address");
    expectEqual(packet.messageAuthenticatorOk, true, "Message-Authenticator verified");
    expectEqual(packet.answer.ack, true, "answered Disconnect-ACK");
  });

  await t.step("after the NAS's Accounting-Stop the session leaves the online list", async () => {
    const r = await radius("acct", t.radius.acctPort, [
      `User-Name = "${kUser}"`,
      "Acct-Status-Type = Stop",
      `Acct-Session-Id = "${kSessionId}"`,
      `Framed-IP-Address = ${kFramedIp}`,
      "NAS-IP-Address = 127.0.0.1",
      "Acct-Session-Time = 120",
      "Acct-Input-Octets = 1048576",
      "Acct-Output-Octets = 10485760",
      "Acct-Terminate-Cause = Admin-Reset",
    ]);
    expectEqual(r.code, "Accounting-Response", "answer");
    await until(async () => {
      await page.getByTestId("refresh").click();
      return (await page.locator("[data-state=empty]").count()) === 1;
    }, "empty online list");
    await page.getByTestId("tab-history").click();
    await page.waitForURL(`${base}/sessions/history`);
    await rowOf("sessions-table", kUser).getByText("Admin-Reset").waitFor();
  });

  await t.step("the NAS page counts the Disconnect-ACK (its authenticator verified)", async () => {
    // Gatehouse records an ACK only once the Response Authenticator and Message-Authenticator
    // of the receiver's answer check out (RFC 5176 3.5).
    await page.goto(`${base}/nas`);
    await until(async () => {
      await page.reload();
      return (await rowOf("nas-table", kNas).innerText()).includes("1 ack");
    }, "1 ack in the CoA column");
    expectEqual(await rowOf("nas-table", kNas).getByTestId("nas-sessions").innerText(), "0", "sessions");
  });

  await t.step("bulk disable and enable from the subscriber list", async () => {
    await page.goto(`${base}/subscribers?q=alice`);
    const row = rowOf("subscribers-table", kUser);
    await row.waitFor();
    await row.locator("td.select input").check();
    expectEqual(await page.getByTestId("selected-count").innerText(), "1 selected", "count");
    await page.getByTestId("bulk-disable").click();
    await page.getByTestId("confirm-dialog").getByRole("button", { name: "Disable" }).click();
    await page.getByTestId("bulk-result").filter({ hasText: "Disabled 1." }).waitFor();
    await row.getByTestId("sub-enabled").getByText("disabled", { exact: true }).waitFor();
    await row.locator("td.select input").check();
    await page.getByTestId("bulk-enable").click();
    await page.getByTestId("confirm-dialog").getByRole("button", { name: "Enable" }).click();
    await page.getByTestId("bulk-result").filter({ hasText: "Enabled 1." }).waitFor();
    await row.getByTestId("sub-enabled").getByText("enabled", { exact: true }).waitFor();
  });
}
