// Shared pieces of the browser tests: the real `pharos serve` on a free
// port over a temporary data directory, a local HTTP server to watch, and
// Debian's Chromium driven by playwright-core.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SCREENSHOTS = join(ROOT, "test-output", "screenshots");
// The Rust wrapper (crates/pharos/tests/browser.rs) passes the binary cargo
// just built; run by hand, the debug build is used.
export const BINARY = process.env.PHAROS_BIN || join(ROOT, "target", "debug", "pharos");
const CHROMIUM = process.env.PHAROS_CHROMIUM || "/usr/bin/chromium";

/** Builds the debug binary unless one was handed over. */
export function buildPharos() {
  if ((process.env.PHAROS_BIN || process.env.PHAROS_SKIP_BUILD === "1") && existsSync(BINARY)) return;
  const built = spawnSync("cargo", ["build", "-p", "pharos"], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) throw new Error("cargo build -p pharos failed");
}

/** Starts `pharos serve`; resolves with its base URL once it listens. */
export async function startPharos() {
  const dataDir = mkdtempSync(join(tmpdir(), "pharos-browser-"));
  const child = spawn(BINARY, ["serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PHAROS_DATA_DIR: dataDir,
      PHAROS_LISTEN: "127.0.0.1:0",
      PHAROS_ALLOW_PRIVATE_TARGETS: "true",
      // Confirm a failure quickly, so "down" shows within the test's wait.
      PHAROS_RETRY_SECONDS: "2",
      RUST_LOG: process.env.RUST_LOG || "warn",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("pharos did not start within 60 s")), 60_000);
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/running at (http:\/\/[^\s/]+)\//);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.on("exit", (code) => fail(new Error(`pharos exited early with ${code}`)));
  });
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((ok) => (child.exitCode !== null ? ok() : child.on("exit", ok)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A small site that answers 200 until stopped. */
export async function startSite() {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/health`,
    stop: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

// playwright-core refuses `--user-data-dir` with launch(): it gives every
// launch a fresh temporary profile itself, which is what we want.
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Fails on serious or critical axe violations, naming them. */
export async function assertAccessible(page, what) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length > 0) {
    const text = bad
      .map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join("\n  ")}`)
      .join("\n");
    throw new Error(`${what}: accessibility violations\n${text}`);
  }
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Looks at the current page three ways, each scanned by axe and
 * photographed: as it is (1280 px, light), in the dark theme, and on a
 * 375 px phone, where nothing may stick out sideways.
 */
export async function checkEveryWay(page, name) {
  await assertAccessible(page, name);
  await screenshot(page, name);
  await page.emulateMedia({ colorScheme: "dark" });
  try {
    await assertAccessible(page, `${name} (dark)`);
    await screenshot(page, `${name}-dark`);
  } finally {
    await page.emulateMedia({ colorScheme: "light" });
  }
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 800 });
  try {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) {
      // Name the elements that stick out, to say what to fix.
      const culprits = await page.evaluate(() =>
        [...document.querySelectorAll("body *")]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
          .slice(0, 8)
          .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")} (${Math.round(el.getBoundingClientRect().right)} px)`),
      );
      throw new Error(`${name}: ${overflow} px wider than a 375 px phone: ${culprits.join(", ")}`);
    }
    await assertAccessible(page, `${name} (375 px)`);
    await screenshot(page, `${name}-375`);
  } finally {
    await page.setViewportSize(wide);
  }
}

/** The password every browser test's accounts use. */
export const PASSWORD = "correct horse battery";

/** Registers an account through the page and lands on the login page. */
export async function register(page, base, email, organization) {
  await page.goto(`${base}/register`);
  await page.getByLabel("Organization name").fill(organization);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${base}/login`);
}

/** Logs in from the login page and lands on the dashboard. */
export async function logIn(page, base, email) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${base}/`);
}

/** A new account, signed in, on its dashboard. */
export async function signUp(page, base, email, organization) {
  await register(page, base, email, organization);
  await logIn(page, base, email);
}
