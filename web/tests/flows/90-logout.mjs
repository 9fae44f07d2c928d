// Ending the session, last because it leaves the browser logged out: Logout returns to the login
// page and the server refuses the old access token; past the per-user login limit the login
// page says when to try again (429 with Retry-After, docs/api-auth.md).

export async function run(t) {
  const { page, base, expectEqual } = t;

  await t.step("Logout returns to login and the old token is refused", async () => {
    await t.login("root", t.password);
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("gatehouse.session") ?? "{}").accessToken);
    if (typeof token !== "string") throw new Error("no access token in sessionStorage");
    expectEqual((await t.api("GET", "/auth/me", undefined, token)).status, 200, "/auth/me before logout");
    await page.getByRole("button", { name: "Logout" }).click();
    await page.waitForURL(`${base}/login`);
    expectEqual(await page.locator(".alert.info").innerText(), "You have logged out.", "notice");
    expectEqual(await page.evaluate(() => sessionStorage.getItem("gatehouse.session")), null, "stored session");
    expectEqual((await t.api("GET", "/auth/me", undefined, token)).status, 401, "/auth/me after logout");
  });

  await t.step("past the per-user limit the login page says when to try again", async () => {
    // The limit is 5 attempts per user (docs/api-auth.md); the 6th, from the page, gets 429.
    t.resetLoginLimits();
    for (let i = 0; i < 5; ++i) {
      const r = await t.api("POST", "/auth/login", { username: "nobody", password: "not the password" });
      expectEqual(r.status, 401, `attempt ${i + 1}`);
    }
    if (new URL(page.url()).pathname !== "/login") await page.goto(`${base}/login`);
    await page.fill("#username", "nobody");
    await page.fill("#password", "not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    const alert = page.locator(".login-form [role=alert]");
    await alert.getByText("Too many login attempts").waitFor();
    const text = await alert.innerText();
    if (!/^Too many login attempts\. Try again in \d+ s\.$/.test(text)) throw new Error(`alert: ${text}`);
    if (!(await page.getByRole("button", { name: "Log in" }).isDisabled())) throw new Error("button still enabled");
  });
}
