// Two-factor sign-in in Chromium against the real server: enrol an
// authenticator app from Settings (its key read off the page, codes made
// here as the app would: RFC 6238, HMAC-SHA1, 30 s steps), keep the
// recovery codes, then sign in with the password and a code. Every page
// passes an axe scan.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { buildPharos, startPharos, launchBrowser, assertAccessible, checkEveryWay, register, PASSWORD } from "./harness.mjs";

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

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The six-digit code of the 30 s step `seconds` falls in. */
function totp(key, seconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}

async function logIn(page) {
  await page.goto(`${pharos.base}/login`);
  await page.getByLabel("Email").fill("two@example.com");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("an authenticator app is enrolled and asked for at sign-in", { timeout: 180_000 }, async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await register(page, pharos.base, "two@example.com", "Careful Ltd");
  await logIn(page);
  await page.waitForURL(`${pharos.base}/`);

  await page.goto(`${pharos.base}/settings`);
  await page.getByRole("link", { name: "Two-factor sign-in settings" }).click();
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await page.locator("figure.qr svg").waitFor();
  await checkEveryWay(page, "two-factor-enrol");
  const key = base32((await page.locator("code.secret").innerText()).trim());

  const now = Date.now() / 1000;
  await page.getByLabel("Code from the app").fill(totp(key, now));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
  assert.equal(await page.locator("ul.recovery-codes li").count(), 10);
  await checkEveryWay(page, "two-factor-recovery-codes");

  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(`${pharos.base}/login`);
  await logIn(page);
  await page.waitForURL(`${pharos.base}/login/code`);
  await checkEveryWay(page, "two-factor-login-code");
  // The code that turned it on was used; the next step's code works.
  await page.getByLabel("Code").fill(totp(key, now));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("the code is wrong or was used already").waitFor();
  await assertAccessible(page, "two-factor code refused");
  await page.getByLabel("Code").fill(totp(key, now + 30));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${pharos.base}/`);
  await page.getByRole("heading", { name: "Targets" }).waitFor();
  await context.close();
});
