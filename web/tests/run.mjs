#!/usr/bin/env node
// The admin panel in a real browser (Debian's Chromium driven by playwright-core), against a
// real `gatehouse serve --roles api` with a private PostgreSQL and Redis (scripts/dev-services):
//   - a wrong password shows the server's 401 message on the login page;
//   - the right password lands on the dashboard with the admin's name, role and server health;
//   - a reload keeps the session; a refused access token is refreshed once; a refused refresh
//     token returns to the login page; a section not built yet says "coming soon";
//   - Logout returns to the login page and the server refuses the old access token;
//   - past the per-user login limit the page says "try again in N s" (429, Retry-After).
// Screenshots of the login page (blank and with the error) and the dashboard go to
// --screenshots DIR (default: a temporary directory removed at the end).
//
//   node web/tests/run.mjs --gatehouse build/core/app/gatehouse [--screenshots docs/screenshots]
// Exit status: 0 passed, 1 failed, 77 skipped (no chromium, no node_modules, no servers).

import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(webDir, "..");

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const gatehouse = resolve(option("gatehouse", process.env.GATEHOUSE ?? join(repo, "build/core/app/gatehouse")));
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const password = "correct horse battery";

function skip(why) {
  console.log(`${why}: skipped`);
  process.exit(77);
}

if (!existsSync(chromiumPath)) skip(`${chromiumPath} not installed (apt-get install chromium)`);
let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch {
  skip("web/node_modules missing (npm --prefix web ci)");
}
if (!existsSync(gatehouse)) skip(`${gatehouse} not built`);
if (!existsSync("/usr/lib/postgresql/15/bin/initdb")) skip("PostgreSQL 15 not installed");
try {
  execFileSync("redis-server", ["--version"], { stdio: "ignore" });
} catch {
  skip("redis-server not installed");
}

// The test must see the current source: rebuild web/dist when it is missing or older.
function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}
const distIndex = join(webDir, "dist/index.html");
const sources = ["src", "public", "index.html", "package-lock.json"].map((p) => join(webDir, p)).filter(existsSync);
if (!existsSync(distIndex) || Math.max(...sources.map(newest)) > statSync(distIndex).mtimeMs) {
  console.log("web/dist is missing or older than web/src: npm run build");
  execFileSync("npm", ["run", "build"], { cwd: webDir, stdio: ["ignore", "ignore", "inherit"] });
}

const work = mkdtempSync(join(tmpdir(), "gh-web-"));
chmodSync(work, 0o755); // PostgreSQL runs as the postgres user when we are root
const screenshots = resolve(option("screenshots", process.env.GH_WEB_SCREENSHOTS ?? join(work, "screenshots")));
const screenshotsKept = !screenshots.startsWith(work);
const env = { ...process.env, GH_VAR_DIR: join(work, "var"), GH_PG_TCP: "0", GATEHOUSE_KEY_FILE: join(work, "gatehouse.key") };
const devServices = join(repo, "scripts/dev-services");
let server;
let context;

async function cleanup() {
  await context?.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((done) => {
      const timer = setTimeout(() => (server.kill("SIGKILL"), done()), 5000);
      server.once("exit", () => (clearTimeout(timer), done()));
    });
  }
  try {
    execFileSync(devServices, ["stop"], { env, stdio: "ignore" });
  } catch {
    // already stopped
  }
  rmSync(work, { recursive: true, force: true });
}

let failed = false;
function ok(what) {
  console.log(`ok   ${what}`);
}
function fail(what) {
  console.log(`FAIL ${what}`);
  failed = true;
}
/** One step: runs fn, reports it, and keeps going so one failure does not hide the others. */
async function step(what, fn) {
  try {
    await fn();
    ok(what);
  } catch (e) {
    fail(`${what}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
  }
}
function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Starts the servers and gatehouse; returns the panel's base URL. */
async function startServer() {
  execFileSync(devServices, ["start"], { env, stdio: ["ignore", "ignore", "inherit"] });
  for (const line of execFileSync(devServices, ["env"], { env, encoding: "utf8" }).split("\n")) {
    const m = /^export (\w+)='(.*)'$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  execFileSync(gatehouse, ["migrate"], { env, stdio: ["ignore", "ignore", "inherit"] });
  execFileSync(gatehouse, ["admin", "add", "--username", "root", "--role", "superadmin", "--password-stdin"], {
    env,
    input: `${password}\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  const config = join(work, "gatehouse.conf");
  writeFileSync(config, `api_bind = 127.0.0.1\napi_port = 0\napi_threads = 2\nweb_dir = ${join(webDir, "dist")}\n`);
  server = spawn(gatehouse, ["serve", "--config", config, "--roles", "api"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  server.stderr.on("data", (chunk) => (err += chunk));
  return await new Promise((done, reject) => {
    const timer = setTimeout(() => reject(new Error(`no api ready line in 15 s: ${out}${err}`)), 15000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /^gatehouse\.api\.ready bind=(\S+) port=(\d+)/m.exec(out);
      if (m) {
        clearTimeout(timer);
        done(`http://${m[1]}:${m[2]}`);
      }
    });
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gatehouse serve exited (${code}): ${out}${err}`));
    });
  });
}

async function run() {
  const base = await startServer();
  ok(`gatehouse serve --roles api on ${base}`);
  mkdirSync(screenshots, { recursive: true });

  // Flags from the machine notes: without the background-networking ones Chromium keeps
  // trying Google's hosts, which this closed network refuses.
  const args = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  // A persistent context on a fresh directory is how playwright takes a --user-data-dir.
  context = await chromium.launchPersistentContext(join(work, "chromium-profile"), {
    executablePath: chromiumPath,
    headless: true,
    args,
    viewport: { width: 1366, height: 800 },
  });
  context.setDefaultTimeout(10000);
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(e.message));

  await step("without a session / goes to the login page", async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/login`);
    await page.getByRole("heading", { name: "Log in to the admin panel" }).waitFor();
    await page.screenshot({ path: join(screenshots, "login.png") });
  });

  await step("a wrong password shows the server's message", async () => {
    await page.fill("#username", "root");
    await page.fill("#password", "wrong password!");
    await page.getByRole("button", { name: "Log in" }).click();
    const alert = page.locator(".login-form [role=alert]");
    await alert.waitFor();
    expectEqual(await alert.innerText(), "invalid username or password", "error");
    expectEqual(page.url(), `${base}/login`, "url");
    await page.screenshot({ path: join(screenshots, "login-error.png") });
  });

  await step("the right password lands on the dashboard with the admin's name", async () => {
    await page.fill("#password", password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${base}/`);
    expectEqual(await page.getByTestId("admin-name").innerText(), "root", "top bar");
    expectEqual(await page.getByTestId("role").innerText(), "superadmin", "role");
    await page.getByTestId("health").getByText("PostgreSQL").waitFor();
    const health = await page.getByTestId("health").innerText();
    if (!/PostgreSQL\s+ok/.test(health) || !/Redis\s+ok/.test(health)) throw new Error(`health card: ${health}`);
    await page.screenshot({ path: join(screenshots, "dashboard.png") });
  });

  await step("a reload keeps the session", async () => {
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

  await step("a refused access token is refreshed once and the page carries on", async () => {
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

  await step("when the refresh is refused too, the login page says the session ended", async () => {
    await tamper({ accessToken: "not-a-token", refreshToken: "not-a-token-either" });
    await page.reload();
    await page.waitForURL(`${base}/login`);
    expectEqual(await page.locator(".alert.info").innerText(), "Your session has ended. Please log in again.", "notice");
    expectEqual(await stored(), null, "stored session");
    await page.fill("#username", "root");
    await page.fill("#password", password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${base}/`);
    expectEqual(await page.getByTestId("admin-name").innerText(), "root", "top bar after logging in again");
  });

  await step("a section not built yet says coming soon, also after a reload", async () => {
    await page.getByRole("link", { name: "NAS", exact: true }).click();
    await page.waitForURL(`${base}/nas`);
    await page.locator("[data-state=coming-soon]").getByText("Coming soon").waitFor();
    await page.reload();
    await page.locator("[data-state=coming-soon]").getByText("Coming soon").waitFor();
    expectEqual(await page.locator("nav a[aria-current=page]").innerText(), "NAS", "current link");
  });

  await step("Logout returns to login and the old token is refused", async () => {
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("gatehouse.session") ?? "{}").accessToken);
    if (typeof token !== "string") throw new Error("no access token in sessionStorage");
    const before = await fetch(`${base}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
    expectEqual(before.status, 200, "/auth/me before logout");
    await page.getByRole("button", { name: "Logout" }).click();
    await page.waitForURL(`${base}/login`);
    expectEqual(await page.locator(".alert.info").innerText(), "You have logged out.", "notice");
    expectEqual(await page.evaluate(() => sessionStorage.getItem("gatehouse.session")), null, "stored session");
    const after = await fetch(`${base}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
    expectEqual(after.status, 401, "/auth/me after logout");
  });

  await step("past the per-user limit the login page says when to try again", async () => {
    // The limit is 5 attempts per user (docs/api-auth.md); the 6th, from the page, gets 429.
    for (let i = 0; i < 5; ++i) {
      const r = await fetch(`${base}/api/v1/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "nobody", password: "not the password" }),
      });
      expectEqual(r.status, 401, `attempt ${i + 1}`);
    }
    await page.fill("#username", "nobody");
    await page.fill("#password", "not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    const alert = page.locator(".login-form [role=alert]");
    await alert.getByText("Too many login attempts").waitFor();
    const text = await alert.innerText();
    if (!/^Too many login attempts\. Try again in \d+ s\.$/.test(text)) throw new Error(`alert: ${text}`);
    if (!(await page.getByRole("button", { name: "Log in" }).isDisabled())) throw new Error("button still enabled");
  });

  if (consoleErrors.length) fail(`uncaught errors in the page: ${consoleErrors.join("; ")}`);
}

const started = Date.now();
try {
  await run();
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
} finally {
  await cleanup();
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`${failed ? "FAILED" : "passed"} in ${seconds} s${screenshotsKept ? `; screenshots in ${screenshots}` : ""}`);
process.exit(failed ? 1 : 0);
