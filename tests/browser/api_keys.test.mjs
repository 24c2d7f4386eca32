// API keys in Chromium against the real server: an owner opens Settings >
// API keys, is refused a key without a name, creates one and sees it
// once, uses it from outside the browser, then revokes it and sees it
// stop working. Every page passes an axe scan, light, dark and at 375 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildPharos, startPharos, launchBrowser, assertAccessible, checkEveryWay, signUp } from "./harness.mjs";

let pharos;
let chrome;

before(async () => {
  buildPharos();
  pharos = await startPharos();
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await pharos?.stop();
});

/** GET /api/v1/targets with only the key, as a script would. */
async function useKey(key) {
  const answer = await fetch(`${pharos.base}/api/v1/targets`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return answer.status;
}

test("an API key is created, shown once, used and revoked", { timeout: 180_000 }, async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signUp(page, pharos.base, "ops@example.com", "Keyed Ltd");

  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "Manage API keys" }).click();
  await page.waitForURL(`${pharos.base}/settings/api-keys`);
  await page.getByText("No API keys yet.").waitFor();
  await checkEveryWay(page, "api-keys-empty");

  // No name: refused on the field, the rest kept.
  await page.getByLabel("Role").selectOption("member");
  await page.getByRole("button", { name: "Create key" }).click();
  await page.locator("#e-name").waitFor();
  assert.match(await page.locator("#e-name").innerText(), /must not be empty/);
  assert.equal(await page.getByLabel("Role").inputValue(), "member");
  await assertAccessible(page, "api key form with errors");

  // Made: the answer shows the key, once, with how to copy it.
  await page.getByLabel("Name").fill("CI deploy");
  const inAMonth = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10);
  await page.getByLabel("Expires (optional)").fill(inAMonth);
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByText("Your new key: CI deploy").waitFor();
  const key = await page.getByLabel("Key", { exact: true }).inputValue();
  assert.match(key, /^phk_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
  await page.getByText("cannot show it again").waitFor();
  await checkEveryWay(page, "api-keys-created");

  // The key works for a script, and never opens a page.
  assert.equal(await useKey(key), 200);
  const pageWithKey = await fetch(`${pharos.base}/settings/api-keys`, {
    headers: { authorization: `Bearer ${key}` },
    redirect: "manual",
  });
  assert.equal(pageWithKey.status, 303);
  assert.equal(pageWithKey.headers.get("location"), "/login");

  // Shown again: only its prefix, with the last use now known.
  await page.goto(`${pharos.base}/settings/api-keys`);
  const row = page.getByRole("row", { name: /CI deploy/ });
  await row.waitFor();
  assert.ok(!(await page.content()).includes(key), "the list shows the whole key");
  assert.match(await row.innerText(), new RegExp(key.slice(0, 12)));
  assert.match(await row.innerText(), /member/);
  assert.doesNotMatch(await row.getByRole("cell").nth(5).innerText(), /never/);
  await checkEveryWay(page, "api-keys-listed");

  // Revoked: gone from the list, refused at once.
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Revoke CI deploy" }).click();
  await page.getByText("API key revoked: it no longer works.").waitFor();
  await page.getByText("No API keys yet.").waitFor();
  assert.equal(await useKey(key), 401);
  await context.close();
});
