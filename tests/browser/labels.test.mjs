// Tags and groups in Chromium against the real server: an editor makes a
// tag and a group on Settings > Tags and groups (a taken name refused by
// its field), puts targets in them through the target form, then filters
// the dashboard by tag and by group, folds and unfolds the group, and
// searches; the same with JavaScript off. Every page passes axe in light,
// dark and at 375 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildPharos, startPharos, startSite, launchBrowser, checkEveryWay, screenshot, signUp, logIn } from "./harness.mjs";

let pharos;
let site;
let chrome;

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

async function addTarget(page, name, { tag, group } = {}) {
  await page.goto(`${pharos.base}/targets/new`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("URL to check").fill(site.url);
  if (tag) await page.getByRole("checkbox", { name: tag }).check();
  if (group) await page.getByLabel("Group", { exact: true }).selectOption({ label: group });
  await page.getByRole("button", { name: "Add target" }).click();
  await page.getByText("Target added").waitFor();
}

/** The names of the dashboard table's rows, in order. */
async function rowNames(page) {
  return page.locator("table.targets tbody th.c-name > a").allTextContents();
}

test("tags and groups sort the dashboard, with and without JavaScript", { timeout: 240_000 }, async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && !/status of 422/.test(m.text()) && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  await signUp(page, pharos.base, "lin@example.com", "Labels Inc");

  await page.goto(`${pharos.base}/settings`);
  await page.getByRole("link", { name: "Manage tags and groups" }).click();
  await page.getByLabel("Name", { exact: true }).first().fill("production");
  await page.getByLabel("Colour", { exact: true }).selectOption("green");
  await page.getByRole("button", { name: "Add tag" }).click();
  await page.getByText("Tag added.").waitFor();
  // A taken name (any letter case) is refused on the field.
  await page.locator("#f-tag-name").fill("PRODUCTION");
  await page.getByRole("button", { name: "Add tag" }).click();
  await page.locator("#e-tag-name").waitFor();
  assert.match(await page.locator("#e-tag-name").textContent(), /has this name already/);
  await page.locator("#f-group-name").fill("Payments");
  await page.getByRole("button", { name: "Add group" }).click();
  await page.getByText("Group added.").waitFor();
  await checkEveryWay(page, "tags-and-groups");

  await addTarget(page, "Checkout", { tag: "production", group: "Payments" });
  await addTarget(page, "Invoices", { group: "Payments" });
  await addTarget(page, "Blog", { tag: "production" });
  await addTarget(page, "Staging");
  await page.goto(`${pharos.base}/targets/new`);
  await checkEveryWay(page, "target-form-labels");

  await page.goto(`${pharos.base}/`);
  const group = page.locator("details.group", { hasText: "Payments" });
  await group.waitFor();
  assert.match(await group.locator("summary").textContent(), /2 targets/);
  // Folded, then opened: its rows show; folded again: hidden.
  const inGroup = group.locator(".group-rows li", { hasText: "Checkout" });
  if (await group.evaluate((d) => d.open)) await group.locator("summary").click();
  assert.equal(await inGroup.isVisible(), false);
  await group.locator("summary").click();
  await inGroup.waitFor();
  await checkEveryWay(page, "dashboard-groups");
  await group.locator("summary").click();
  assert.equal(await inGroup.isVisible(), false);

  // Filter by tag, by group, search: all in the query string.
  await page.getByLabel("Tag", { exact: true }).selectOption({ label: "production" });
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/tag=/);
  assert.deepEqual((await rowNames(page)).sort(), ["Blog", "Checkout"]);
  await page.getByLabel("Tag", { exact: true }).selectOption({ label: "Any tag" });
  await page.getByLabel("Group", { exact: true }).selectOption({ label: "Payments" });
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/group=/);
  assert.deepEqual((await rowNames(page)).sort(), ["Checkout", "Invoices"]);
  await page.goto(`${pharos.base}/`);
  await page.getByLabel("Search", { exact: true }).fill("inv");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/q=inv/);
  assert.deepEqual(await rowNames(page), ["Invoices"]);
  await checkEveryWay(page, "dashboard-search");
  assert.deepEqual(problems, []);
  await context.close();

  // Without JavaScript: the same filters and the fold work.
  const plain = await chrome.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const p = await plain.newPage();
  await logIn(p, pharos.base, "lin@example.com");
  await p.getByLabel("Group", { exact: true }).selectOption({ label: "Payments" });
  await p.getByLabel("Search", { exact: true }).fill("check");
  await p.getByRole("button", { name: "Apply" }).click();
  await p.waitForURL(/group=.*q=check|q=check.*group=/);
  assert.deepEqual(await rowNames(p), ["Checkout"]);
  await p.goto(`${pharos.base}/`);
  const folded = p.locator("details.group", { hasText: "Payments" });
  const row = folded.locator(".group-rows li", { hasText: "Invoices" });
  if (!(await folded.evaluate((d) => d.open))) await folded.locator("summary").click();
  await row.waitFor();
  await folded.locator("summary").click();
  assert.equal(await row.isVisible(), false);
  await p.getByLabel("Tag", { exact: true }).selectOption({ label: "production" });
  await p.getByRole("button", { name: "Apply" }).click();
  await p.waitForURL(/tag=/);
  assert.deepEqual((await rowNames(p)).sort(), ["Blog", "Checkout"]);
  await screenshot(p, "dashboard-tag-no-js");
  await plain.close();
});
