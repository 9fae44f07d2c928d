// Logging in and keeping the session: the login page without a session, the server's 401
// message, the dashboard with the admin's name, role and server health, a reload, a refused
// access token refreshed once, a refused refresh token back to the login page, and a section
// path that survives a reload. Ends logged in as root (later flows may reuse the session).
// Logout and the login limits are in 90-logout.mjs.

export async function run(t) {
  const { page, base, expectEqual } = t;

  await t.step("without a session / goes to the login page", async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/login`);
    await page.getByRole("heading", { name: "Log in to the admin panel" }).waitFor();
    await t.screenshot("login");
  });

  await t.step("a wrong password shows the server's message", async () => {
    await page.fill("#username", "root");
    await page.fill("#password", "wrong password!");
    await page.getByRole("button", { name: "Log in" }).click();
    const alert = page.locator(".login-form [role=alert]");
    await alert.waitFor();
    expectEqual(await alert.innerText(), "invalid username or password", "error");
    expectEqual(page.url(), `${base}/login`, "url");
    await t.screenshot("login-error");
  });

  await t.step("the right password lands on the dashboard with the admin's name", async () => {
    await page.fill("#password", t.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${base}/`);
    expectEqual(await page.getByTestId("admin-name").innerText(), "root", "top bar");
    expectEqual(await page.getByTestId("role").innerText(), "superadmin", "role");
    await page.getByTestId("health").getByText("PostgreSQL").waitFor();
    const health = await page.getByTestId("health").innerText();
    if (!/PostgreSQL\s+ok/.test(health) || !/Redis\s+ok/.test(health)) throw new Error(`health card: ${health}`);
    await t.screenshot("dashboard");
  });

  await t.step("a reload keeps the session", async () => {
    await page.reload();
    expectEqual(await page.getByTestId("admin-name").innerText(), "root", "top bar after reload");
    expectEqual(page.url(), `${base}/`, "url");
  });

  const stored = () => page.evaluate(() => JSON.parse(sessionStorage.getItem("gatehouse.session") ?? "null"));
  const tamper = (changes) =>
    page.evaluate((c) => {
      const s = JSON.parse(sessionStorage.getItem("gatehouse.session") ?? "{}");
      sessionStorage.setItem("gatehouse.session", JSON.stringify({ ...s, ...c }));
    }, changes);

  await t.step("a refused access token is refreshed once and the page carries on", async () => {
    const before = await stored();
    await tamper({ accessToken: "not-a-token" });
    await page.reload();
    // /auth/me answers 401, the refresh token buys a new pair (rotation), /auth/me is retried.
    await page.waitForFunction(
      (old) => JSON.parse(sessionStorage.getItem("gatehouse.session") ?? "{}").refreshToken !== old,
      before.refreshToken,
    );
    const after = await stored();
    if (after.accessToken === "not-a-token") throw new Error("access token not replaced");
    expectEqual(page.url(), `${base}/`, "url");
    expectEqual(await page.getByTestId("admin-name").innerText(), "root", "top bar");
  });

  await t.step("when the refresh is refused too, the login page says the session ended", async () => {
    await tamper({ accessToken: "not-a-token", refreshToken: "not-a-token-either" });
    await page.reload();
    await page.waitForURL(`${base}/login`);
    expectEqual(await page.locator(".alert.info").innerText(), "Your session has ended. Please log in again.", "notice");
    expectEqual(await stored(), null, "stored session");
    await page.fill("#username", "root");
    await page.fill("#password", t.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${base}/`);
    expectEqual(await page.getByTestId("admin-name").innerText(), "root", "top bar after logging in again");
  });

  await t.step("a section survives a reload with its link marked current", async () => {
    await page.getByRole("link", { name: "NAS", exact: true }).click();
    await page.waitForURL(`${base}/nas`);
    await page.reload();
    await page.getByRole("heading", { name: "NAS", exact: true }).waitFor();
    expectEqual(await page.locator("nav a[aria-current=page]").innerText(), "NAS", "current link");
  });

  await t.step("an unknown path says the page does not exist", async () => {
    await page.goto(`${base}/no-such-page`);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
  });
}
