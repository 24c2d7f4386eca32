// Settings > Agents in Chromium against the real server: an owner sets the
// shared secret (too short: refused on the field), starts a real
// `pharos agent` process with it, sees its UUID under "Pending requests",
// approves it with one click and sees it listed as an approved agent with
// its location name and version once it is admitted. Every state of the
// page passes an axe scan, light, dark and at 375 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPharos, startPharos, startSite, launchBrowser, checkEveryWay, signUp, BINARY } from "./harness.mjs";

const SECRET = "browser-test-agent-secret-0123456789";

let pharos;
let chrome;
let agent;

before(async () => {
  buildPharos();
  pharos = await startPharos();
  chrome = await launchBrowser();
});

after(async () => {
  agent?.kill("SIGTERM");
  await chrome?.close();
  await pharos?.stop();
});

/** Reloads `page` until `locator` shows, up to `limit` ms. */
async function reloadUntil(page, locator, limit = 30_000) {
  const started = Date.now();
  for (;;) {
    if (await locator.count()) return;
    if (Date.now() - started > limit) throw new Error("gave up waiting");
    await new Promise((ok) => setTimeout(ok, 500));
    await page.reload();
  }
}

test("a pending agent is approved from Settings > Agents", { timeout: 300_000 }, async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signUp(page, pharos.base, "ops@example.com", "Agents Ltd");

  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "Manage agents" }).click();
  await page.waitForURL(`${pharos.base}/settings/agents`);
  await page.getByText("No agent is waiting for approval.").waitFor();
  await checkEveryWay(page, "agents-empty");

  // Too short: refused on its field.
  await page.getByLabel("Shared secret").fill("short");
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator("#e-shared_secret").waitFor();
  assert.match(await page.locator("#e-shared_secret").innerText(), /at least 24 characters/);

  await page.getByLabel("Shared secret").fill(SECRET);
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Agent settings saved.").waitFor();
  await page.getByLabel("New shared secret (optional)").waitFor();
  assert.ok(!(await page.content()).includes(SECRET), "the secret is never shown");

  // A real agent process asks to join with the secret.
  const dataDir = mkdtempSync(join(tmpdir(), "pharos-agent-"));
  agent = spawn(BINARY, ["agent"], {
    env: {
      ...process.env,
      PHAROS_SERVER_URL: pharos.base,
      PHAROS_AGENT_SECRET: SECRET,
      PHAROS_DATA_DIR: dataDir,
      PHAROS_AGENT_NAME: "Branch office",
      PHAROS_AGENT_REFRESH_SECONDS: "1",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const idFile = join(dataDir, "agent-id");
  for (let i = 0; i < 100 && !existsSync(idFile); i++) await new Promise((ok) => setTimeout(ok, 200));
  const uuid = readFileSync(idFile, "utf8").trim();

  await reloadUntil(page, page.getByRole("row", { name: new RegExp(uuid) }));
  const row = page.getByRole("row", { name: new RegExp(uuid) });
  assert.match(await row.innerText(), /Branch office/);
  await checkEveryWay(page, "agents-pending");

  await page.getByRole("button", { name: `Approve ${uuid}` }).click();
  await page.getByText("Agent approved: it is admitted at its next attempt.").waitFor();
  await page.getByText("No agent is waiting for approval.").waitFor();
  const listed = page.locator("table.agents").getByRole("row", { name: /Branch office/ });
  await listed.waitFor();
  assert.match(await listed.innerText(), /approved/);
  assert.match(await listed.innerText(), new RegExp(uuid));

  // Admitted: its heartbeats move "last seen" on.
  const seen = await listed.getByRole("cell").nth(4).innerText();
  const started = Date.now();
  for (;;) {
    await page.reload();
    const now = await page.locator("table.agents").getByRole("row", { name: /Branch office/ }).getByRole("cell").nth(4).innerText();
    if (now !== seen) break;
    if (Date.now() - started > 30_000) throw new Error("the approved agent never checked in");
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  await checkEveryWay(page, "agents-approved");

  // A target checked from the agent alone, chosen on the target form.
  const site = await startSite();
  await page.goto(`${pharos.base}/targets/new`);
  await page.getByLabel("Name", { exact: true }).fill("Branch site");
  await page.getByLabel("URL to check").fill(site.url);
  await page.getByLabel("Check every (seconds)").fill("30");
  assert.equal(await page.getByLabel("This server").isChecked(), true, "the server is ticked by default");
  await page.getByLabel("This server").uncheck();
  await page.getByLabel("Branch office (agent)").check();
  await page.getByLabel("Call it down when").selectOption("any");
  await checkEveryWay(page, "target-form-locations");
  await page.getByRole("button", { name: "Add target" }).click();
  await page.waitForURL(/\/targets\/[0-9a-f-]+$/);
  const id = page.url().split("/").pop();
  const view = await (await context.request.get(`${pharos.base}/api/v1/targets/${id}`)).json();
  const agentId = view.location_ids[0];
  assert.equal(view.location_ids.length, 1, JSON.stringify(view));
  assert.notEqual(agentId, "local");
  assert.equal(view.quorum, "any");
  // Checked from there: checks carry the agent's location.
  const waited = Date.now();
  for (;;) {
    const checks = await (await context.request.get(`${pharos.base}/api/v1/targets/${id}/checks`)).json();
    if (checks.items.some((c) => c.location_id === agentId)) break;
    if (Date.now() - waited > 60_000) throw new Error("no check from the agent");
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  await page.goto(`${pharos.base}/settings/agents`);
  await page.locator("table.agents").getByRole("link", { name: "Branch site" }).waitFor();
  await site.stop?.();
  await context.close();
});
