// Maintenance windows in Chromium against the real server: plan one on
// the maintenance page (a refused form first), see it open on the
// dashboard and on the target's page, then delete it. Every page passes
// an axe scan, light, dark and at 375 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildPharos, startPharos, startSite, launchBrowser, assertAccessible, checkEveryWay, signUp } from "./harness.mjs";

let pharos;
let chrome;
let site;

before(async () => {
  buildPharos();
  pharos = await startPharos();
  site = await startSite();
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await site?.stop();
  await pharos?.stop();
});

/** `2026-12-07T10:00` in UTC, as a datetime-local input takes it. */
function local(date) {
  return date.toISOString().slice(0, 16);
}

test("a maintenance window is planned, shown while open, and deleted", { timeout: 180_000 }, async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signUp(page, pharos.base, "ops@example.com", "Planned Ltd");

  await page.goto(`${pharos.base}/targets/new`);
  await page.getByLabel("Name", { exact: true }).fill("Shop");
  await page.getByLabel("URL to check").fill(site.url);
  await page.getByRole("button", { name: "Add target" }).click();
  await page.waitForURL(/\/targets\/[0-9a-f-]+$/);

  await page.getByRole("link", { name: "Maintenance", exact: true }).click();
  await page.getByText("No maintenance is planned.").waitFor();
  await checkEveryWay(page, "maintenance-empty");

  // Weekly, without a day: refused, naming the days, keeping the rest.
  await page.getByLabel("Name", { exact: true }).fill("Patch night");
  await page.getByLabel("Repeats").selectOption("weekly");
  assert.equal(await page.getByLabel("Starts", { exact: true }).isVisible(), false, "one-off fields hide for weekly");
  await page.getByLabel("Starts at").fill("03:00");
  await page.getByLabel("Lasts (minutes)").fill("90");
  await page.getByLabel("Shop").check();
  await page.getByRole("button", { name: "Plan window" }).click();
  await page.getByText("choose at least one day").waitFor();
  await assertAccessible(page, "maintenance form with errors");
  assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Patch night");

  // Once, open now, for every target.
  await page.getByLabel("Repeats").selectOption("one_off");
  await page.getByLabel("Starts", { exact: true }).fill(local(new Date(Date.now() - 10 * 60_000)));
  await page.getByLabel("Ends").fill(local(new Date(Date.now() + 2 * 3600_000)));
  await page.getByLabel("All targets, present and future").check();
  await page.getByLabel("Shop").uncheck();
  await page.getByRole("button", { name: "Plan window" }).click();
  await page.getByText("Maintenance window saved.").waitFor();
  await page.getByText(/in progress until/).waitFor();
  await checkEveryWay(page, "maintenance-planned");

  await page.getByRole("link", { name: "Dashboard" }).click();
  await page.getByText("Maintenance in progress:").waitFor();
  assert.equal(await page.locator(".tag.maint").count(), 1, "the target is tagged");
  await checkEveryWay(page, "dashboard-maintenance");

  await page.getByRole("link", { name: "Shop" }).first().click();
  await page.getByText("In maintenance").waitFor();
  await assertAccessible(page, "target in maintenance");

  await page.goto(`${pharos.base}/maintenance`);
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Delete Patch night" }).click();
  await page.getByText("Maintenance window deleted.").waitFor();
  await page.getByText("No maintenance is planned.").waitFor();
  await context.close();
});
