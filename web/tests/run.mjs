#!/usr/bin/env node
// The admin panel in a real browser (Debian's Chromium driven by playwright-core), against a
// real `gatehouse serve --roles radius,api,jobs` with a private PostgreSQL and Redis
// (scripts/dev-services), RADIUS on ephemeral loopback ports and a CoA receiver standing in
// for the NAS (coa_receiver.mjs).
//
// This file is the harness; the steps live in web/tests/flows/*.mjs, imported in file-name
// order, each exporting `async function run(t)`. `t` (see makeHarness below) gives a flow the
// page, step(), expectEqual(), screenshot(), login()/logout() through the page, api() with
// fetch, rootToken(), radclient(), the RADIUS ports and the CoA receiver. A failed step never
// stops the others, and a flow must not depend on a later one.
//
//   node web/tests/run.mjs --gatehouse build/core/app/gatehouse [--screenshots docs/screenshots]
//                          [--only 20-network]   (flows whose file name contains the text)
// Exit status: 0 passed, 1 failed, 77 skipped (no chromium, no node_modules, no servers).

import { execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createSocket } from "node:dgram";
import { startCoaReceiver } from "./coa_receiver.mjs";

const testsDir = dirname(fileURLToPath(import.meta.url));
const webDir = resolve(testsDir, "..");
const repo = resolve(webDir, "..");

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const gatehouse = resolve(option("gatehouse", process.env.GATEHOUSE ?? join(repo, "build/core/app/gatehouse")));
const only = option("only", process.env.GH_WEB_ONLY ?? "");
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
for (const tool of ["redis-server", "redis-cli"]) {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" });
  } catch {
    skip(`${tool} not installed`);
  }
}
let radclientFound = true;
try {
  execFileSync("sh", ["-c", "command -v radclient"], { stdio: "ignore" });
} catch {
  radclientFound = false; // flows that need it fail their RADIUS steps with a clear message
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
const keyFile = join(work, "gatehouse.key");
const env = { ...process.env, GH_VAR_DIR: join(work, "var"), GH_PG_TCP: "0", GATEHOUSE_KEY_FILE: keyFile };
const devServices = join(repo, "scripts/dev-services");
let server;
let serverLog = "";
let context;
let coa;

async function cleanup() {
  await context?.close().catch(() => {});
  await coa?.close().catch(() => {});
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
function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** n distinct UDP ports the kernel says are free now (all held, then closed at once). */
async function freeUdpPorts(n) {
  const sockets = [];
  for (let i = 0; i < n; ++i) {
    const socket = createSocket("udp4");
    await new Promise((done, reject) => socket.bind(0, "127.0.0.1", done).once("error", reject));
    sockets.push(socket);
  }
  const ports = sockets.map((socket) => socket.address().port);
  await Promise.all(sockets.map((socket) => new Promise((done) => socket.close(done))));
  return ports;
}

/** Starts PostgreSQL, Redis and gatehouse; returns {base, authPort, acctPort}. */
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
  // The key subscriber passwords and NAS API passwords are sealed with (docs/store.md).
  writeFileSync(keyFile, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  const config = join(work, "gatehouse.conf");
  const [authPort, acctPort] = await freeUdpPorts(2);
  writeFileSync(
    config,
    [
      "bind = 127.0.0.1",
      // Not 0: the API's NAS test probes the configured auth_port, not the one a 0 picked.
      `auth_port = ${authPort}`,
      `acct_port = ${acctPort}`,
      "workers = 1",
      `policy_dir = ${join(repo, "policies")}`,
      "watch_policies = false",
      `spool_dir = ${join(work, "spool")}`,
      "metrics_port = 0",
      "jobs_retry_ms = 500",
      "api_bind = 127.0.0.1",
      "api_port = 0",
      "api_threads = 2",
      `web_dir = ${join(webDir, "dist")}`,
      "",
    ].join("\n"),
  );
  // From the repository root, as an operator runs it (every path in the config is absolute).
  server = spawn(gatehouse, ["serve", "--config", config, "--roles", "radius,api,jobs"], {
    cwd: repo,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  server.stderr.on("data", (chunk) => (serverLog += chunk));
  return await new Promise((done, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready lines in 20 s: ${out}${serverLog}`)), 20000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const api = /^gatehouse\.api\.ready bind=(\S+) port=(\d+)/m.exec(out);
      const radius = /^gatehouse\.serve\.ready bind=\S+ auth_port=(\d+) acct_port=(\d+)/m.exec(out);
      if (api && radius) {
        clearTimeout(timer);
        done({ base: `http://${api[1]}:${api[2]}`, authPort: Number(radius[1]), acctPort: Number(radius[2]) });
      }
    });
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gatehouse serve exited (${code}): ${out}${serverLog}`));
    });
  });
}

/** Forgets the login attempts of 127.0.0.1 (10 per minute, docs/api-auth.md) between flows. */
function resetLoginLimits() {
  const [host, port] = (env.GATEHOUSE_REDIS ?? "127.0.0.1:6379").replace(/^redis:\/\//, "").split(":");
  execFileSync("redis-cli", ["-h", host, "-p", port, "DEL", "gh:rl:ip:127.0.0.1"], { stdio: "ignore" });
}

function makeHarness({ base, authPort, acctPort }, page, flowName) {
  const t = {
    base,
    page,
    context,
    password,
    env,
    gatehouse,
    work,
    repo,
    screenshotsDir: screenshots,
    radius: { authPort, acctPort },
    coa,
    /** One step: runs fn, reports it, and keeps going so one failure does not hide the others. */
    async step(what, fn) {
      try {
        await fn();
        ok(`[${flowName}] ${what}`);
        return true;
      } catch (e) {
        fail(`[${flowName}] ${what}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
        return false;
      }
    },
    expectEqual,
    /** Saves <name>.png (the viewport, 1366x800) in the screenshots directory. */
    async screenshot(name) {
      await page.screenshot({ path: join(screenshots, `${name}.png`) });
    },
    /** Logs in through the login page and waits for the dashboard. */
    async login(username, pass) {
      await page.goto(`${base}/login`);
      if (new URL(page.url()).pathname !== "/login") await t.logout();
      await page.fill("#username", username);
      await page.fill("#password", pass);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(`${base}/`);
      expectEqual(await page.getByTestId("admin-name").innerText(), username, "admin in the top bar");
    },
    /** Logs out through the Logout button and waits for the login page. */
    async logout() {
      await page.getByRole("button", { name: "Logout" }).click();
      await page.waitForURL(`${base}/login`);
    },
    /** The API with fetch: {status, body} (body parsed when JSON, else text). */
    async api(method, path, body, token) {
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (token) headers.Authorization = `Bearer ${token}`;
      const url = `${base}${path.startsWith("/api/") ? path : `/api/v1${path}`}`;
      const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      let parsed = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    /** A fresh access token for root (does not use up the address's login attempts). */
    async rootToken() {
      const r = await t.api("POST", "/auth/login", { username: "root", password });
      resetLoginLimits();
      if (r.status !== 200) throw new Error(`root login: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.access_token;
    },
    resetLoginLimits,
    /**
     * FreeRADIUS's radclient against 127.0.0.1:port; type "auth" or "acct" (or "status",
     * "disconnect"...); attrs are radclient lines ('User-Name = "alice"'). Returns stdout+stderr
     * (radclient -x prints the answer's attributes), also when radclient exits non-zero.
     */
    radclient(type, port, attrs, secret) {
      if (!radclientFound) return Promise.reject(new Error("radclient not installed (apt-get install freeradius-utils)"));
      return new Promise((done) => {
        const child = execFile(
          "radclient",
          ["-x", "-r", "2", "-t", "2", `127.0.0.1:${port}`, type, secret],
          { timeout: 10000 },
          (_error, stdout, stderr) => done(`${stdout}${stderr}`),
        );
        child.stdin.end(`${attrs.join("\n")}\n`);
      });
    },
    /** What gatehouse serve wrote to stderr so far (its log lines), for failure messages. */
    serverLog: () => serverLog,
  };
  return t;
}

async function run() {
  const servers = await startServer();
  ok(`gatehouse serve on ${servers.base}, RADIUS auth ${servers.authPort} acct ${servers.acctPort}`);
  coa = await startCoaReceiver();
  ok(`CoA receiver on 127.0.0.1:${coa.port}`);
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
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  const flowsDir = join(testsDir, "flows");
  const flows = readdirSync(flowsDir)
    .filter((name) => name.endsWith(".mjs") && name.includes(only))
    .sort();
  for (const name of flows) {
    const flowName = name.replace(/\.mjs$/, "");
    resetLoginLimits();
    const started = Date.now();
    try {
      const flow = await import(pathToFileURL(join(flowsDir, name)).href);
      await flow.run(makeHarness(servers, page, flowName));
    } catch (e) {
      fail(`[${flowName}] stopped: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
    }
    console.log(`     ${flowName}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  if (pageErrors.length) fail(`uncaught errors in the page: ${pageErrors.join("; ")}`);
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
