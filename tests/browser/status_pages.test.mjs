// Public status pages in Chromium against the real server: an owner builds
// a page in the dashboard (a refused slug first; a section, one target of
// two placed in it under a public name, the dark theme), posts an
// incident, and a visitor reads the public page with JavaScript on and
// off, and its history. The private target shows nowhere; every page
// passes axe, light, dark and at 375 px; the live refresh picks up a
// resolution without a reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildPharos, startPharos, startSite, launchBrowser, assertAccessible, checkEveryWay, screenshot, signUp } from "./harness.mjs";

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

async function addTarget(page, name, url) {
  await page.goto(`${pharos.base}/targets/new`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("URL to check").fill(url);
  await page.getByRole("button", { name: "Add target" }).click();
  await page.waitForURL(/\/targets\/[0-9a-f-]+$/);
}

/** What a visitor's page holds, as text and markup. */
async function assertNothingPrivate(page, what) {
  const html = await page.content();
  for (const secret of ["Secret DB", "secret-db", "shop-internal"]) {
    assert.ok(!html.includes(secret), `${what} shows ${secret}`);
  }
}

test("an owner builds a status page that visitors read with and without JavaScript", { timeout: 240_000 }, async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signUp(page, pharos.base, "owner@example.com", "Acme");
  await addTarget(page, "shop-internal", `${site.url}?shop`);
  await addTarget(page, "Secret DB", `${site.url}?secret-db`);

  await page.getByRole("link", { name: "Status pages" }).click();
  await page.getByText("No status page yet.").waitFor();
  await checkEveryWay(page, "status-pages-empty");

  // A slug with capitals and a space is refused by its field, the title kept.
  await page.getByLabel("Title").fill("Acme status");
  await page.getByLabel("Address").fill("Acme Status");
  await page.getByRole("button", { name: "Create status page" }).click();
  await page.getByText("may hold only lowercase letters, digits and hyphens").waitFor();
  assert.equal(await page.getByLabel("Title").inputValue(), "Acme status");
  await assertAccessible(page, "status page form with errors");
  await page.getByLabel("Address").fill("acme");
  await page.getByRole("button", { name: "Create status page" }).click();
  await page.getByText("Status page saved.").waitFor();

  // The editor: a section, the shop in it under a public name, dark.
  await page.getByLabel("Section 1", { exact: true }).fill("Shop");
  // Options are named once saved; before, a new section is "Section 1".
  await page.getByLabel("Section of shop-internal").selectOption("1");
  await page.getByLabel("Order of shop-internal").fill("1");
  await page.getByLabel("Public name of shop-internal").fill("Storefront");
  await page.getByLabel("Theme").selectOption("dark");
  await page.getByRole("button", { name: "Save page" }).click();
  await page.getByText("Status page saved.").waitFor();
  assert.equal(await page.getByLabel("Public name of shop-internal").inputValue(), "Storefront");
  assert.equal(await page.getByLabel("Section of Secret DB").inputValue(), "0", "the secret target stays off");
  await checkEveryWay(page, "status-page-editor");

  // Its custom domain: a refused name, then one set, with the TXT record
  // to publish (verifying needs DNS, tested on the server side), removed.
  await page.getByRole("link", { name: "Custom domain" }).click();
  await page.getByLabel("Host name", { exact: true }).fill("localhost");
  await page.getByRole("button", { name: "Save domain" }).click();
  await page.locator("#f-host[aria-invalid=true]").waitFor();
  await page.getByLabel("Host name", { exact: true }).fill("status.acme.test");
  await page.getByRole("button", { name: "Save domain" }).click();
  await page.getByText("Domain saved").waitFor();
  await page.getByText("_pharos-challenge.status.acme.test").waitFor();
  await checkEveryWay(page, "status-page-domain");
  await page.getByRole("button", { name: "Remove the domain" }).click();
  await page.getByText("Domain removed").waitFor();
  await page.getByRole("link", { name: "Acme status" }).first().click();
  await page.getByLabel("Theme").waitFor();

  // An incident on the shop.
  await page.getByLabel("Title", { exact: true }).last().fill("Checkout errors");
  await page.getByRole("checkbox", { name: "shop-internal" }).check();
  await page.getByLabel("Message").fill("We are looking into failed payments.");
  await page.getByRole("button", { name: "Post", exact: true }).click();
  await page.getByText("Posted.").waitFor();
  await page.getByRole("heading", { name: "Checkout errors" }).waitFor();

  // A visitor with JavaScript.
  const visitor = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const publicPage = await visitor.newPage();
  const answer = await publicPage.goto(`${pharos.base}/status/acme`);
  assert.equal(answer.status(), 200);
  assert.equal(answer.headers()["set-cookie"], undefined, "no cookie for visitors");
  await publicPage.getByText("Storefront").first().waitFor();
  await publicPage.getByRole("heading", { name: "Checkout errors" }).waitFor();
  assert.equal(await publicPage.locator("html").getAttribute("class"), "dark");
  assert.equal(await publicPage.locator(".bars").first().locator("li").count(), 90, "90 days of bars");
  await assertNothingPrivate(publicPage, "the public page");
  await checkEveryWay(publicPage, "status-page-public");

  // The owner resolves it; the open page refreshes itself (the script runs
  // on a timer and when the tab is shown again: the latter is triggered).
  await page.getByLabel("Status").first().selectOption("resolved");
  await page.getByLabel("Update").first().fill("Payments work again.");
  await page.getByRole("button", { name: "Post update to Checkout errors" }).click();
  await page.getByText("Update posted.").waitFor();
  await publicPage.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
  await publicPage.getByText("All systems operational").waitFor({ timeout: 10_000 }).catch(() => {});
  await publicPage.waitForFunction(() => !document.querySelector("#active"), null, { timeout: 10_000 });
  await screenshot(publicPage, "status-page-public-refreshed");

  await publicPage.getByRole("link", { name: "Incident history" }).click();
  await publicPage.getByText("Payments work again.").waitFor();
  await assertNothingPrivate(publicPage, "the history");
  await checkEveryWay(publicPage, "status-page-history");

  // Without JavaScript: the same page, whole.
  const plain = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  const plainPage = await plain.newPage();
  await plainPage.goto(`${pharos.base}/status/acme`);
  await plainPage.getByText("Storefront").first().waitFor();
  await assertNothingPrivate(plainPage, "the page without JavaScript");
  assert.equal(await plainPage.locator(".bars").first().locator("li").count(), 90);
  // axe runs as a script, so it cannot scan this context; the page's
  // markup is the one scanned above. It fits a phone without scripts too.
  await screenshot(plainPage, "status-page-public-nojs");
  await plainPage.setViewportSize({ width: 375, height: 800 });
  await screenshot(plainPage, "status-page-public-nojs-375");

  await plain.close();
  await visitor.close();
  await context.close();
});
