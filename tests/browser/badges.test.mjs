// Badges in Chromium against the real server: an owner turns a target's
// badges on from its page, sees the three badges drawn (same-origin
// previews) with their absolute URLs and a Markdown snippet, replaces the
// URLs (the old one answers 404), and turns them off with JavaScript off.
// The page passes an axe scan, light, dark and at 375 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildPharos, startPharos, startSite, launchBrowser, checkEveryWay, signUp } from "./harness.mjs";

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

test("badges are turned on, shown, replaced and turned off", { timeout: 180_000 }, async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("dialog", (dialog) => dialog.accept());
  await signUp(page, pharos.base, "badges@example.com", "Badged Ltd");
  const made = await page.request.post(`${pharos.base}/api/v1/targets`, {
    data: { url: site.url, name: "Storefront", interval_seconds: 30 },
  });
  assert.equal(made.status(), 201);
  const { id } = await made.json();

  await page.goto(`${pharos.base}/targets/${id}`);
  await page.getByRole("button", { name: "Turn badges on" }).click();
  await page.getByText("Badges turned on").waitFor();
  const markdown = await page.locator("#badge-markdown").inputValue();
  assert.match(markdown, /^!\[Storefront status\]\(http:\/\/[^)]+\/badge\/[A-Za-z0-9_-]{32}\/status\.svg\)/);
  // Each preview is an image the browser could draw.
  for (const alt of ["status badge", "uptime badge", "latency badge"]) {
    const img = page.getByAltText(alt);
    await img.waitFor();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
  }
  await checkEveryWay(page, "target-badges");

  const statusUrl = markdown.match(/\((http[^)]+status\.svg)\)/)[1];
  assert.equal((await fetch(statusUrl)).status, 200);
  await page.getByRole("button", { name: "Replace badge URLs" }).click();
  await page.getByText("Badge URLs replaced").waitFor();
  assert.equal((await fetch(statusUrl)).status, 404);
  assert.notEqual(await page.locator("#badge-markdown").inputValue(), markdown);

  // Without JavaScript the forms work the same.
  const plain = await chrome.browser.newContext({ javaScriptEnabled: false, storageState: await context.storageState() });
  const noScript = await plain.newPage();
  await noScript.goto(`${pharos.base}/targets/${id}`);
  await noScript.getByRole("button", { name: "Turn badges off" }).click();
  await noScript.getByText("Badges turned off").waitFor();
  await noScript.getByRole("button", { name: "Turn badges on" }).waitFor();
  await plain.close();
  await context.close();
});
