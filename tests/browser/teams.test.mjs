// Teams in Chromium against the real server, with no SMTP server set up
// (so the members page hands the owner the link to pass on): an owner
// invites someone who already has an account, who opens the link, logs in
// on the accept page and joins; the header then offers switching between
// their two organizations, as a plain form. Every page passes an axe
// scan, light, dark and at 375 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildPharos, startPharos, launchBrowser, checkEveryWay } from "./harness.mjs";

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

async function signUp(page, organization, email) {
  await page.goto(`${pharos.base}/register`);
  await page.getByLabel("Organization name").fill(organization);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${pharos.base}/login`);
}

async function logIn(page, email) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${pharos.base}/`);
}

test("an owner invites a member, who joins and switches organizations", { timeout: 180_000 }, async () => {
  const viewport = { viewport: { width: 1280, height: 900 } };
  const ownerContext = await chrome.browser.newContext(viewport);
  const owner = await ownerContext.newPage();
  await signUp(owner, "Acme Ops", "owner@example.com");
  await logIn(owner, "owner@example.com");

  // Settings > Members: the owner alone, and the invite form.
  await owner.getByRole("link", { name: "Settings" }).click();
  await owner.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Members" }).click();
  await owner.waitForURL(`${pharos.base}/settings/members`);
  await owner.getByText("No pending invitations.").waitFor();
  await checkEveryWay(owner, "members");

  // A bad address is refused by its field, what was typed kept.
  await owner.getByLabel("Email").fill("not an address");
  await owner.getByRole("button", { name: "Send invitation" }).click();
  await owner.getByText("must look like name@example.com").waitFor();
  assert.equal(await owner.getByLabel("Email").inputValue(), "not an address");

  await owner.getByLabel("Email").fill("dana@example.com");
  await owner.getByLabel("Role", { exact: true }).selectOption("member");
  await owner.getByRole("button", { name: "Send invitation" }).click();
  await owner.getByText("No email server is set up").waitFor();
  const link = (await owner.locator("#invitation-link").textContent()).trim();
  assert.match(link, new RegExp(`^${pharos.base.replace(/[.]/g, "\\.")}/invitations/accept\\?token=[A-Za-z0-9_-]{43}$`));
  await owner.getByRole("cell", { name: "dana@example.com", exact: true }).waitFor();
  await checkEveryWay(owner, "members-invited");

  // Dana has an account (and an organization) of her own.
  const danaContext = await chrome.browser.newContext(viewport);
  const dana = await danaContext.newPage();
  await signUp(dana, "Dana's Lab", "dana@example.com");

  // Not signed in, she opens the link: sign up or log in, then join.
  await dana.goto(link);
  await dana.getByRole("heading", { name: "Join Acme Ops" }).waitFor();
  await dana.getByText("The invitation is for dana@example.com").waitFor();
  await checkEveryWay(dana, "invitation-accept");
  await dana.getByLabel("Your password").fill(PASSWORD);
  await dana.getByRole("button", { name: "Log in and join" }).click();
  await dana.waitForURL(`${pharos.base}/`);
  await dana.getByText("You joined the organization.").waitFor();
  const org = dana.locator(".who .org");
  assert.equal(await org.textContent(), "Acme Ops");

  // The header switches between her organizations, without a script.
  const switcher = dana.getByLabel("Organization");
  assert.equal(await switcher.locator("option:checked").textContent(), "Acme Ops");
  await checkEveryWay(dana, "dashboard-two-organizations");
  await switcher.selectOption({ label: "Dana's Lab" });
  await dana.getByRole("button", { name: "Switch" }).click();
  await dana.getByText("Switched organization.").waitFor();
  assert.equal(await org.textContent(), "Dana's Lab");

  // The link is used up.
  await dana.goto(link);
  await dana.getByText("This invitation link does not work").waitFor();

  // The owner sees her as a member, and can change her role.
  await owner.goto(`${pharos.base}/settings/members`);
  const row = owner.getByRole("row").filter({ hasText: "dana@example.com" });
  await row.getByRole("cell", { name: "member", exact: true }).waitFor();
  await owner.getByText("No pending invitations.").waitFor();
  await row.getByLabel("Role of dana@example.com").selectOption("viewer");
  await row.getByRole("button", { name: "Change role of dana@example.com" }).click();
  await owner.getByText("Role changed.").waitFor();
  await owner.getByRole("row").filter({ hasText: "dana@example.com" }).getByRole("cell", { name: "viewer", exact: true }).waitFor();
  await checkEveryWay(owner, "members-joined");

  await ownerContext.close();
  await danaContext.close();
});
