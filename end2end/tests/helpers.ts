import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const PASSWORD = "correct horse battery";

/** A fresh person for each test: nothing is shared between tests. */
export function newPerson() {
  const id = Math.random().toString(36).slice(2, 10);
  return {
    first: "Jane",
    last: `Doe-${id}`,
    login: `jane-${id}`,
    email: `jane+${id}@example.com`,
    company: `Acme ${id}`,
  };
}

/** Waits until the WASM has hydrated the page, so clicks reach Leptos handlers. */
export async function hydrated(page: Page) {
  await page.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 20_000 });
}

export async function register(page: Page, person: ReturnType<typeof newPerson>) {
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("First name").fill(person.first);
  await page.getByLabel("Last name").fill(person.last);
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Login name").fill(person.login);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create login" }).click();
  await expect(page).toHaveURL(/\/account\/new$/);
}

export async function signIn(page: Page, identifier: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("E-mail or login name").fill(identifier);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Runs the server's CLI against the test server's database, as an operator would. */
export function serverCli(...args: string[]): string {
  const binary = path.resolve(__dirname, "../../target/release/server");
  return execFileSync(binary, args, { env: process.env, encoding: "utf8" });
}

/** The mails the server wrote to its `.eml` mailbox for `address`, oldest first; waits for `count`. */
export async function mailsTo(address: string, count = 1): Promise<string[]> {
  const mailbox = path.resolve(process.env.PORTICO_DATA_DIR ?? "../target/e2e-data", "mailbox");
  for (let attempt = 0; attempt < 100; attempt++) {
    const files = fs.existsSync(mailbox) ? fs.readdirSync(mailbox).filter((f) => f.endsWith(".eml")).sort() : [];
    const mails = files
      .map((f) => fs.readFileSync(path.join(mailbox, f), "utf8"))
      .filter((text) => text.split(/\r?\n/).some((line) => line.startsWith("To:") && line.includes(address)))
      .map(decodeQuotedPrintable);
    if (mails.length >= count) return mails;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`fewer than ${count} mails reached ${address}`);
}

/** The first link of a mail, as a path on the test server. */
export function linkIn(mail: string): string {
  const url = mail.match(/https?:\/\/\S+/)![0];
  return new URL(url).pathname + new URL(url).search;
}

/** Opens the verification link mailed at registration and confirms; back on the account form. */
export async function verifyEmail(page: Page, person: ReturnType<typeof newPerson>) {
  const mail = await mailContaining(person.email, "verify-email?token=");
  await page.goto(linkIn(mail));
  // The token leaves the address bar at once (SPEC S7); the page reads it from a cookie.
  await expect(page).not.toHaveURL(/token=/);
  await expect(page).toHaveURL(/\/verify-email$/);
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page.getByRole("status")).toHaveText("Your e-mail address is confirmed.");
  await page.goto("/account/new");
  await hydrated(page);
}

/** Creates the company of a verified `person` on the account form. */
export async function createCompany(page: Page, person: ReturnType<typeof newPerson>) {
  await page.getByLabel("Company name").fill(person.company);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();
}

/** Registers `person`, confirms their address and creates their company: they are its primary administrator. */
export async function newAdmin(page: Page, person = newPerson()) {
  await register(page, person);
  await verifyEmail(page, person);
  await createCompany(page, person);
  return person;
}

/** The first mail to `address` whose text holds `needle`; waits for it. */
export async function mailContaining(address: string, needle: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const found = (await mailsTo(address, 0)).find((mail) => mail.includes(needle));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${address} contains ${needle}`);
}

/** Signs in a user an administrator created with PASSWORD, choosing `newPassword` as asked. */
export async function signInFirstTime(page: Page, login: string, newPassword: string) {
  await signIn(page, login, PASSWORD);
  await expect(page).toHaveURL(/\/password\/change$/);
  await hydrated(page);
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page).not.toHaveURL(/\/password\/change/);
}

/** Adds a user through the server function as the signed-in admin of `page` (setup, not the flow under test). */
export async function addUser(page: Page, login: string, roles: number[] = []) {
  const response = await page.request.post("/api/users/create", {
    data: {
      form: {
        first_name: "Sam", last_name: `User ${login}`, login_name: login, email: `${login}@example.com`, locale: "en",
        subscribe_news: false, subscribe_alerts: true, role_ids: roles, password: PASSWORD,
      },
      delivery: "Password",
    },
  });
  expect(response.ok()).toBeTruthy();
}

/** Opens `login`'s page as a person would: the filtered users list, its actions menu, Edit. */
export async function openUserPage(page: Page, login: string) {
  await page.goto(`/users?login_name=${login}`);
  await hydrated(page);
  await page.getByLabel(`Actions for ${login}`).click();
  await page.locator(`[data-testid=user-row][data-login="${login}"]`).getByRole("link", { name: "Edit" }).click();
  await expect(page).toHaveURL(/\/users\/\d+$/);
  await hydrated(page);
}

/** Undoes quoted-printable (soft line breaks, `=XX` bytes), as a mail client would. */
function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === "=" && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** RFC 4648 base32, as the page shows the secret (groups of four, spaces ignored). */
export function base32(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

/** The six digits an authenticator app shows at `seconds` (RFC 6238, SHA-1, 30 s). */
export function totp(secret: Buffer, seconds: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

/** Adds an authenticator app on the security page for the signed-in user; returns its secret. */
export async function enrolTotp(page: Page, name = "My phone"): Promise<Buffer> {
  await page.goto("/security");
  await hydrated(page);
  await page.getByRole("button", { name: "Add an authenticator app" }).click();
  const secret = base32(await page.getByTestId("totp-secret").innerText());
  // The previous step's code: a sign-in right after may use the current one. The server takes
  // it only until the next step begins, so not in a step's last seconds (it failed so once).
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < 3) await page.waitForTimeout(left * 1000 + 250);
  await page.getByLabel("Code from the app").fill(totp(secret, Date.now() / 1000 - 30));
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.getByTestId("recovery-code")).toHaveCount(10);
  return secret;
}

/** Fails with each serious or critical axe-core violation of the page as it is now, and where
 * it is; soft, so one run lists the violations of every page. */
export async function audit(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const grave = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => `${n.target.join(" ")} (${n.failureSummary})`).join(", ")}`);
  expect.soft(grave, `axe-core on ${what}`).toEqual([]);
}
