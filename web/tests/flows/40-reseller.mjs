// A reseller's view: root creates a reseller and its admin through the pages, one subscriber of
// that reseller and one of the whole ISP (through the API); the reseller's admin then sees a
// navigation without the sections its role lacks, only its own subscriber, and "not found" for
// the other's page. Ends logged out.

const suffix = Date.now().toString(36).slice(-5);
const kReseller = `hd-res-${suffix}`;
const kAdmin = `hd-resadmin-${suffix}`;
const kAdminPassword = "reseller-pass-123";
const kOwn = `hd-own-${suffix}`;
const kOther = `hd-other-${suffix}`;

function check(cond, message) {
  if (!cond) throw new Error(message);
}

export async function run(t) {
  const { page, base, expectEqual } = t;
  let resellerId;
  let otherId;
  let adminCreated = false;

  await t.step("root creates a reseller on the Resellers page", async () => {
    await t.login("root", t.password);
    await page.goto(`${base}/admins/resellers`);
    await page.getByTestId("new-reseller").click();
    await page.waitForURL(`${base}/admins/resellers/new`);
    await page.getByLabel("Name", { exact: true }).fill(kReseller);
    await page.getByRole("button", { name: "Create reseller" }).click();
    await page.waitForURL(/\/admins\/resellers\/\d+$/);
    resellerId = Number(new URL(page.url()).pathname.split("/").pop());
    await page.goto(`${base}/admins/resellers`);
    await page.getByTestId("resellers-table").locator(`tr[data-name="${kReseller}"]`).waitFor();
  });

  await t.step("root creates the reseller's admin on the Admins page", async () => {
    check(resellerId, "no reseller");
    await page.goto(`${base}/admins`);
    await page.getByTestId("new-admin").click();
    await page.waitForURL(`${base}/admins/new`);
    await page.getByLabel("Username", { exact: true }).fill(kAdmin);
    await page.getByLabel("Password", { exact: true }).fill(kAdminPassword);
    await page.getByLabel("Role", { exact: true }).selectOption("reseller");
    await page.getByLabel("Reseller", { exact: true }).selectOption(String(resellerId));
    await page.getByRole("button", { name: "Create admin" }).click();
    await page.waitForURL(/\/admins\/\d+$/);
    adminCreated = true;
    await page.goto(`${base}/admins`);
    const row = page.getByTestId("admins-table").locator(`tr[data-username="${kAdmin}"]`);
    await row.waitFor();
    check((await row.innerText()).includes(kReseller), "the admin row does not name the reseller");
    await t.screenshot("admins");
  });

  await t.step("setup: a subscriber of the reseller and one of the whole ISP (API)", async () => {
    const token = await t.rootToken();
    let r = await t.api("POST", "/subscribers", { username: kOwn, password: "pw-own", reseller_id: resellerId }, token);
    check(r.status === 201, `own subscriber: ${r.status} ${JSON.stringify(r.body)}`);
    r = await t.api("POST", "/subscribers", { username: kOther, password: "pw-other", reseller_id: null }, token);
    check(r.status === 201, `other subscriber: ${r.status} ${JSON.stringify(r.body)}`);
    otherId = r.body.id;
  });

  await t.step("the reseller's admin sees only the sections of its role", async () => {
    check(adminCreated, "no reseller admin");
    await t.logout();
    await t.login(kAdmin, kAdminPassword);
    const links = await page.locator("nav.sidenav a").allInnerTexts();
    for (const hidden of ["IP pools", "RADIUS logs", "Policies", "Settings", "Admins"]) check(!links.includes(hidden), `nav shows ${hidden}: ${links.join(", ")}`);
    for (const shown of ["Subscribers", "NAS"]) check(links.includes(shown), `nav lacks ${shown}: ${links.join(", ")}`);
  });

  await t.step("the reseller's subscriber list shows its own only", async () => {
    check(adminCreated, "no reseller admin");
    await page.getByRole("link", { name: "Subscribers", exact: true }).click();
    await page.waitForURL(/\/subscribers/);
    await page.locator("main").getByText(kOwn).first().waitFor();
    const text = await page.locator("main").innerText();
    check(!text.includes(kOther), `the list shows ${kOther}`);
  });

  await t.step("a guessed /subscribers/<other id> says not found", async () => {
    check(adminCreated && otherId, "no setup");
    await page.goto(`${base}/subscribers/${otherId}`);
    await page.locator("main").getByText(/not found/i).first().waitFor();
    check(!(await page.locator("main").innerText()).includes(kOther), "the other's username is shown");
  });

  await t.step("the reseller's admin logs out", async () => {
    check(adminCreated, "no reseller admin");
    await t.logout();
    expectEqual(new URL(page.url()).pathname, "/login", "after logout");
  });
}
