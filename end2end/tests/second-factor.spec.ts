import { test, expect, type Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { PASSWORD, hydrated, newAdmin, signIn } from "./helpers";

// F15: an authenticator app enrolled from the security page, asked for after the password;
// recovery codes shown once and each accepted once.

/** RFC 4648 base32, as the page shows the secret (groups of four, spaces ignored). */
function base32(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

/** The six digits an authenticator app shows at `seconds` (RFC 6238, SHA-1, 30 s). */
function totp(secret: Buffer, seconds: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

const now = () => Date.now() / 1000;

async function signOut(page: Page) {
  await page.getByLabel("Your account menu").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

test("an administrator adds an authenticator app, then signs in with its code or a recovery code", async ({ page }) => {
  const person = await newAdmin(page);
  await page.goto("/security");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Sign-in security" })).toBeVisible();
  await page.getByRole("button", { name: "Add an authenticator app" }).click();
  const secretText = await page.getByTestId("totp-secret").innerText();
  const secret = base32(secretText);
  await expect(page.getByRole("img", { name: "QR code to scan with an authenticator app" })).toBeVisible();

  // A wrong code is refused beside its field; nothing is turned on.
  await page.getByLabel("Code from the app").fill("000000" === totp(secret, now()) ? "111111" : "000000");
  await page.getByLabel("Name", { exact: true }).fill("My phone");
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.getByText("This code is not right")).toBeVisible();

  await page.getByLabel("Code from the app").fill(totp(secret, now()));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  const codes = page.getByTestId("recovery-code");
  await expect(codes).toHaveCount(10);
  const recovery = await codes.nth(2).innerText();
  await expect(page.getByTestId("totp-enrolled")).toContainText("My phone");
  await expect(page.getByTestId("codes-left")).toHaveText(/^10 unused recovery codes/);
  await page.screenshot({ path: "test-results/security-enrolled.png", fullPage: true });

  // The password alone no longer signs in: the second step asks for the app's code. The
  // enrolment spent the current step, so the app's next code is the one to type.
  await signOut(page);
  await signIn(page, person.login, PASSWORD);
  await expect(page).toHaveURL(/\/login\/second-step/);
  await hydrated(page);
  await page.screenshot({ path: "test-results/second-step.png", fullPage: true });
  await page.getByLabel("Code", { exact: true }).fill(totp(secret, now() + 30));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();

  // A recovery code works once.
  await signOut(page);
  await signIn(page, person.login, PASSWORD);
  await expect(page).toHaveURL(/\/login\/second-step/);
  await hydrated(page);
  await page.getByLabel("Code", { exact: true }).fill(recovery);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();
  await page.goto("/security");
  await hydrated(page);
  await expect(page.getByTestId("codes-left")).toHaveText(/^9 unused recovery codes/);

  await signOut(page);
  await signIn(page, person.login, PASSWORD);
  await expect(page).toHaveURL(/\/login\/second-step/);
  await hydrated(page);
  await page.getByLabel("Code", { exact: true }).fill(recovery);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("This code is not right")).toBeVisible();
  await expect(page).toHaveURL(/\/login\/second-step/);
});
