import { test, expect, type Page } from "@playwright/test";
import { PASSWORD, audit, hydrated, newAdmin, signIn } from "./helpers";

// F15 passkeys in Chromium's virtual authenticator (CDP WebAuthn): added under a name on the
// security page, used as the second step after the password, then alone from the sign-in page.
// WebAuthn refuses IP addresses as relying parties, so these pages are opened at localhost,
// which the server (at 127.0.0.1) takes as its relying party.

test.use({ baseURL: (process.env.BASE_URL ?? "http://127.0.0.1:3000").replace("127.0.0.1", "localhost") });

/** A platform authenticator that holds discoverable passkeys and verifies its user. */
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const credentials = async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
  const verifies = (yes: boolean) => cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: yes });
  return { credentials, verifies };
}

async function signOut(page: Page) {
  await page.getByLabel("Your account menu").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

test("a person adds a named passkey, passes the second step with it, and signs in with it alone", async ({ page }) => {
  const authenticator = await virtualAuthenticator(page);
  const person = await newAdmin(page);
  await page.goto("/security");
  await hydrated(page);
  const passkeys = page.getByRole("region", { name: "Passkeys" });
  await expect(passkeys.getByTestId("no-passkeys")).toBeVisible();

  // The name comes first: without one, the browser is not even asked.
  await passkeys.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.locator("#field-passkey_name-message")).not.toBeEmpty();
  expect(await authenticator.credentials()).toHaveLength(0);

  await passkeys.getByLabel("Name of the new passkey").fill("Work laptop");
  await passkeys.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByTestId("recovery-code")).toHaveCount(10);
  await expect(passkeys.getByTestId("passkey-name")).toHaveText(["Work laptop"]);
  const stored = await authenticator.credentials();
  expect(stored).toHaveLength(1);
  expect(stored[0].isResidentCredential).toBe(true);
  await expect(page.getByTestId("codes-left")).toHaveText(/^10 unused recovery codes/);
  await page.screenshot({ path: "test-results/security-passkey.png", fullPage: true });
  await audit(page, "/security with a passkey and fresh recovery codes");

  // After the password, the second step offers the passkey.
  await signOut(page);
  await signIn(page, person.login, PASSWORD);
  await expect(page).toHaveURL(/\/login\/second-step/);
  await hydrated(page);
  await page.screenshot({ path: "test-results/second-step-passkey.png", fullPage: true });
  await audit(page, "/login/second-step with a passkey");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();

  // From the sign-in page, the passkey alone: nothing typed. A prompt the person does not
  // confirm signs nobody in and says so.
  await signOut(page);
  await page.goto("/login");
  await hydrated(page);
  await page.screenshot({ path: "test-results/login-passkey.png", fullPage: true });
  await authenticator.verifies(false);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page.getByTestId("passkey-problem")).toContainText("cancelled or timed out");
  await expect(page).toHaveURL(/\/login/);
  await authenticator.verifies(true);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();

  // Renamed in place; removed with the password.
  await page.goto("/security");
  await hydrated(page);
  const row = passkeys.getByTestId("passkey");
  await row.getByText("Rename").click();
  await row.getByLabel("New name").fill("Old laptop");
  await row.getByRole("button", { name: "Save the name" }).click();
  await expect(passkeys.getByTestId("passkey-name")).toHaveText(["Old laptop"]);
  await expect(row).toContainText("last used");
  await row.getByText("Remove", { exact: true }).click();
  await row.getByLabel("Your password, to confirm").fill("not my password");
  await row.getByRole("button", { name: "Remove this passkey" }).click();
  await expect(row.getByRole("alert").filter({ hasText: /password/i }).first()).toBeVisible();
  await row.getByLabel("Your password, to confirm").fill(PASSWORD);
  await row.getByRole("button", { name: "Remove this passkey" }).click();
  await expect(passkeys.getByTestId("no-passkeys")).toBeVisible();
  await expect(page.getByTestId("codes-left")).toHaveCount(0);

  // The password alone signs in again.
  await signOut(page);
  await signIn(page, person.login, PASSWORD);
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();
});
