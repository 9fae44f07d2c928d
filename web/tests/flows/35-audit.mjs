// The audit log page: a change made through the API appears with who made it and what changed,
// the resource filter narrows the list and stays in the URL, and a password never shows.

export async function run(t) {
  const { page, base, expectEqual } = t;
  let serviceId;

  await t.step("a change appears in the audit log with its before and after", async () => {
    const token = await t.rootToken();
    const made = await t.api("POST", "/services", { name: "audit-plan", download: "10M", upload: "2M" }, token);
    expectEqual(made.status, 201, `create service: ${JSON.stringify(made.body)}`);
    serviceId = made.body.id;
    const changed = await t.api("PATCH", `/services/${serviceId}`, { download: "12M" }, token);
    expectEqual(changed.status, 200, `update service: ${JSON.stringify(changed.body)}`);

    await t.login("root", t.password);
    await page.goto(`${base}/audit`);
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    await page.getByTestId("filter-resource").selectOption("service");
    await page.waitForURL(`${base}/audit?resource=service`);
    const row = page.locator(`[data-testid=audit-table] tr`, { hasText: `service #${serviceId}` }).filter({ hasText: "update" });
    await row.waitFor();
    const text = await row.innerText();
    if (!/root/.test(text)) throw new Error(`no admin in the row: ${text}`);
    if (!/download: 10M → 12M/.test(text)) throw new Error(`no change in the row: ${text}`);
    await t.screenshot("audit");
  });

  await t.step("the filtered view survives a reload and a login shows no password", async () => {
    await page.reload();
    await page.locator(`[data-testid=audit-table] tr`, { hasText: `service #${serviceId}` }).first().waitFor();
    expectEqual(await page.getByTestId("filter-resource").inputValue(), "service", "filter after reload");
    await page.getByTestId("filter-resource").selectOption("auth");
    await page.locator("[data-testid=audit-table] tr", { hasText: "login" }).first().waitFor();
    const all = await page.getByTestId("audit-table").innerText();
    if (all.includes(t.password)) throw new Error("the root password is on the audit page");
  });
}
