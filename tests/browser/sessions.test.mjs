// Settings > Sessions in Chromium against the real server: someone signed
// in from the browser and two scripts sees all three sessions (this one
// marked), ends one, and from a second browser with JavaScript off signs
// out everywhere else (that browser's page is scanned with scripts on, as
// axe needs them). Every page passes an axe scan, light, dark and at
// 375 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildPharos, startPharos, launchBrowser, checkEveryWay } from "./harness.mjs";

const EMAIL = "sessions@example.com";
const PASSWORD = "correct horse battery";
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

/** Logs in from a script calling itself `agent`; its session cookie. */
async function scriptLogin(agent) {
  const answer = await fetch(`${pharos.base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": agent },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  assert.equal(answer.status, 200);
  const cookie = answer.headers.getSetCookie().find((c) => c.startsWith("pharos_session="));
  assert.ok(cookie, "a session cookie");
  return cookie.split(";")[0];
}

/** What /api/v1/auth/me answers a script's session. */
async function meWith(cookie) {
  const answer = await fetch(`${pharos.base}/api/v1/auth/me`, { headers: { cookie } });
  return answer.status;
}

async function logIn(page) {
  await page.goto(`${pharos.base}/login`);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${pharos.base}/`);
}

test("sessions are listed, one is ended, then every other one", { timeout: 180_000 }, async () => {
  const registered = await fetch(`${pharos.base}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD, organization: "Watchful Ltd" }),
  });
  assert.equal(registered.status, 201);
  const context = await chrome.browser.newContext({
    viewport: { width: 1280, height: 900 },
    userAgent: "Mozilla/5.0 (X11; Linux x86_64) PharosBrowserTest/1.0",
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await logIn(page);
  const deploy = await scriptLogin("deploy-script/2.1");
  const laptop = await scriptLogin("Old laptop Firefox/115");

  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "Your sessions" }).click();
  await page.waitForURL(`${pharos.base}/settings/sessions`);
  const rows = page.locator("table.sessions tbody tr");
  assert.equal(await rows.count(), 3);
  const mine = page.getByRole("row", { name: /PharosBrowserTest/ });
  assert.match(await mine.innerText(), /this session/);
  assert.match(await mine.innerText(), /127\.0\.0\.1/);
  assert.doesNotMatch(await page.getByRole("row", { name: /deploy-script/ }).innerText(), /this session/);
  await page.getByText("Ends your 2 other sessions").waitFor();
  await checkEveryWay(page, "sessions-three");

  // End the script's session: it is refused at once, the others go on.
  await page.getByRole("button", { name: /End session deploy-script\/2\.1/ }).click();
  await page.getByText("Session ended: it is signed out.").waitFor();
  assert.equal(await meWith(deploy), 401);
  assert.equal(await meWith(laptop), 200);
  assert.equal(await rows.count(), 2);
  assert.equal(await page.getByRole("row", { name: /deploy-script/ }).count(), 0);

  // A second browser, JavaScript off: plain forms sign out everywhere else.
  const plain = await chrome.browser.newContext({
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: false,
    userAgent: "Mozilla/5.0 NoScriptBrowser/9",
  });
  const second = await plain.newPage();
  second.setDefaultTimeout(20_000);
  await logIn(second);
  await second.goto(`${pharos.base}/settings/sessions`);
  assert.match(await second.getByRole("row", { name: /NoScriptBrowser/ }).innerText(), /this session/);
  await second.getByRole("button", { name: "Sign out everywhere else" }).click();
  await second.getByText("Every other session of yours is signed out.").waitFor();
  await second.getByText("This is your only session.").waitFor();
  assert.equal(await second.locator("table.sessions tbody tr").count(), 1);
  assert.equal(await meWith(laptop), 401);
  // axe needs scripts: the same session, looked at with them on.
  const scripted = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await scripted.addCookies(await plain.cookies());
  const looking = await scripted.newPage();
  looking.setDefaultTimeout(20_000);
  await looking.goto(`${pharos.base}/settings/sessions`);
  await looking.getByText("This is your only session.").waitFor();
  await checkEveryWay(looking, "sessions-only-one");
  await scripted.close();

  // The first browser was signed out too: its next page is the login.
  await page.goto(`${pharos.base}/settings/sessions`);
  await page.waitForURL(`${pharos.base}/login`);
  await plain.close();
  await context.close();
});
