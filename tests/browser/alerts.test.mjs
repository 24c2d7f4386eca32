// Alerts in Chromium against the real server: add a webhook channel
// through its form on the channels page, send a test and see it arrive,
// edit it with its secrets left masked, then watch a failing local
// target's down alert reach the receiver and show on the target's page
// and on the incidents page. Every page passes an axe scan.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { buildPharos, startPharos, launchBrowser, assertAccessible, checkEveryWay } from "./harness.mjs";

const PASSWORD = "correct horse battery";
let pharos;
let chrome;
let receiver;
let failing;

/** A webhook receiver on 127.0.0.1 keeping every JSON body it is sent. */
async function startReceiver() {
  const bodies = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      try {
        bodies.push(JSON.parse(raw));
      } catch {
        bodies.push({ unparsed: raw });
      }
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    bodies,
    stop: () => new Promise((ok) => server.close(() => ok())),
  };
}

/** A site that always answers 500. */
async function startFailingSite() {
  const server = createServer((req, res) => res.writeHead(500).end("broken"));
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    stop: () => new Promise((ok) => server.close(() => ok())),
  };
}

async function until(what, done, ms = 60_000) {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

before(async () => {
  buildPharos();
  pharos = await startPharos();
  receiver = await startReceiver();
  failing = await startFailingSite();
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await receiver?.stop();
  await failing?.stop();
  await pharos?.stop();
});

test("a webhook channel gets its test and a failing target's down alert", { timeout: 180_000 }, async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && !/status of 422/.test(m.text()) && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));

  await page.goto(`${pharos.base}/register`);
  await page.getByLabel("Organization name").fill("Alerting Ltd");
  await page.getByLabel("Email").fill("alerts@example.com");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${pharos.base}/login`);
  await page.getByLabel("Email").fill("alerts@example.com");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${pharos.base}/`);

  await page.getByRole("link", { name: "Channels" }).click();
  await page.getByText("No channels yet").waitFor();
  await checkEveryWay(page, "channels-empty");

  // The service is chosen first; then its own fields are drawn.
  await page.getByLabel("Service").selectOption("webhook");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { name: "Add a Webhook channel" }).waitFor();
  // A URL that is not one is refused by its field, what was typed kept.
  await page.getByLabel("Name", { exact: true }).fill("Ops webhook");
  await page.getByLabel("URL", { exact: true }).fill("not a url");
  await page.getByLabel("Extra headers").fill("X-Team: ops");
  await page.getByRole("button", { name: "Add channel" }).click();
  await page.locator("#e-config\\.url").waitFor();
  assert.equal(await page.getByLabel("Extra headers").inputValue(), "X-Team: ops");
  await checkEveryWay(page, "channel-form-errors");

  await page.getByLabel("URL", { exact: true }).fill(receiver.url);
  await page.getByLabel("Default channel").check();
  await page.getByRole("button", { name: "Add channel" }).click();
  await page.getByRole("heading", { name: "Signing secret" }).waitFor();
  assert.match(await page.locator("code.secret").innerText(), /^[0-9a-f]{64}$/);
  await checkEveryWay(page, "channels-added");

  await page.getByRole("button", { name: "Send test to Ops webhook" }).click();
  await page.getByText(/delivered: the service answered 200/).waitFor();
  await assertAccessible(page, "channel tested");
  await until("the test message", () => receiver.bodies.some((b) => b.event === "test"));

  // The edit form shows the secrets masked; saving it as shown keeps them.
  await page.getByRole("link", { name: "Edit Ops webhook" }).click();
  await page.getByRole("heading", { name: "Edit Ops webhook" }).waitFor();
  assert.match(await page.getByLabel("URL", { exact: true }).inputValue(), /^http:\/\/127\.0\.0\.1:\d+\/…$/);
  assert.equal(await page.getByLabel("Extra headers").inputValue(), "X-Team: ••••");
  await checkEveryWay(page, "channel-edit");
  await page.getByRole("button", { name: "Save channel" }).click();
  await page.getByText("Channel saved.").waitFor();
  const before = receiver.bodies.length;
  await page.getByRole("button", { name: "Send test to Ops webhook" }).click();
  await page.getByText(/delivered: the service answered 200/).waitFor();
  await until("the second test message", () => receiver.bodies.length > before);

  await page.getByRole("link", { name: "Add target" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Broken site");
  await page.getByLabel("URL to check").fill(failing.url);
  await page.getByLabel("Check every (seconds)").fill("30");
  await page.getByLabel("Timeout (seconds)").fill("2");
  await page.getByRole("button", { name: "Add target" }).click();
  await page.waitForURL(/\/targets\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").pop();

  await until("the down alert", () => receiver.bodies.some((b) => b.event === "down" && b.target_id === id), 90_000);
  const down = receiver.bodies.find((b) => b.event === "down");
  assert.equal(down.monitor, "Broken site");
  assert.equal(down.url, `${pharos.base}/targets/${id}`);

  await page.reload();
  await page.getByRole("heading", { name: "Alerts sent" }).waitFor();
  await page.locator("table.notifications").getByText("delivered").waitFor({ timeout: 10_000 });
  await checkEveryWay(page, "target-alerts-sent");

  // The incidents page lists the open incident and the alert it sent.
  await page.getByRole("link", { name: "Incidents" }).click();
  await page.getByRole("heading", { name: "Incidents", level: 1 }).waitFor();
  const row = page.locator("table.all-incidents tr.open");
  await row.getByRole("link", { name: "Broken site" }).waitFor();
  await row.getByText("ongoing").waitFor();
  await row.getByText(/down to Ops webhook \(Webhook\), delivered/).waitFor({ timeout: 10_000 });
  await checkEveryWay(page, "incidents");
  assert.deepEqual(problems, []);
  await context.close();
});
