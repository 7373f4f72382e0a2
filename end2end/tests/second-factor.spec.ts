import { test, expect, type Page } from "@playwright/test";
import { PASSWORD, addUser, base32, enrolTotp, hydrated, newAdmin, signIn, signInFirstTime, totp } from "./helpers";

// F15: an authenticator app enrolled from the security page, asked for after the password;
// recovery codes shown once and each accepted once.

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
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();

  // A recovery code works once.
  await signOut(page);
  await signIn(page, person.login, PASSWORD);
  await expect(page).toHaveURL(/\/login\/second-step/);
  await hydrated(page);
  await page.getByLabel("Code", { exact: true }).fill(recovery);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();
  await page.goto("/security");
  await hydrated(page);
  await expect(page.getByTestId("codes-left")).toHaveText(/^9 unused recovery codes/);

  await signOut(page);
  await signIn(page, person.login, PASSWORD);
  await expect(page).toHaveURL(/\/login\/second-step/);
  await hydrated(page);
  await page.getByLabel("Code", { exact: true }).fill(recovery);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByText("This code is not right")).toBeVisible();
  await expect(page).toHaveURL(/\/login\/second-step/);
});

test("an account that requires a second factor leads its administrator to add one before anything else", async ({ page }) => {
  await newAdmin(page);
  await page.goto("/account");
  await hydrated(page);
  await page.getByLabel("Administrators: anyone who manages users, roles, the account or partners").check();
  await page.getByRole("button", { name: "Save the requirement" }).click();
  // Covered and without a factor: the account page gives way to the security page.
  await expect(page).toHaveURL(/\/security/);
  await expect(page.getByTestId("factor-required")).toBeVisible();
  await expect(page.getByRole("link", { name: "Users", exact: true })).toHaveCount(0);
  await page.goto("/users");
  await expect(page).toHaveURL(/\/security\?next=%2Fusers$/);
  await hydrated(page);
  await page.screenshot({ path: "test-results/factor-required.png", fullPage: true });

  await page.getByRole("button", { name: "Add an authenticator app" }).click();
  const secret = base32(await page.getByTestId("totp-secret").innerText());
  await page.getByLabel("Code from the app").fill(totp(secret, now()));
  await page.getByLabel("Name", { exact: true }).fill("Work phone");
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.getByTestId("recovery-code")).toHaveCount(10);
  await expect(page.getByTestId("factor-required")).toBeHidden();
  // Once the codes are kept, on to where they were going.
  await page.getByRole("link", { name: "I have kept them: continue" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  await expect(page.getByTestId("user-row")).toHaveCount(1);
});

test("an administrator resets the second factor of a member who lost their phone", async ({ page, browser }) => {
  await newAdmin(page);
  const login = `phone-${Date.now()}`;
  await addUser(page, login);
  const member = await (await browser.newContext()).newPage();
  await signInFirstTime(member, login, "my own long passphrase");
  await enrolTotp(member);

  await page.goto(`/users?login_name=${login}`);
  await hydrated(page);
  const row = page.locator(`[data-testid=user-row][data-login="${login}"]`);
  await expect(row.getByTestId("factor-on")).toBeVisible();
  await page.getByLabel(`Actions for ${login}`).click();
  await row.getByRole("button", { name: "Reset second factor" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText(`Reset the second factor of ${login}?`);
  await dialog.getByRole("button", { name: "Reset second factor" }).click();
  await expect(page.getByText("Second factor reset. The user was signed out and mailed.")).toBeVisible();
  await expect(row.getByTestId("factor-on")).toHaveCount(0);
  // The table filters by it.
  await page.getByLabel("Second factor", { exact: true }).selectOption("on");
  await expect(page.getByTestId("user-row")).toHaveCount(0);
  await page.getByLabel("Second factor", { exact: true }).selectOption("off");
  await expect(row).toBeVisible();
  await expect(page).toHaveURL(/factor=off/);
  // The member's open page learns it at its next request: signed out.
  await member.goto("/security");
  await expect(member).toHaveURL(/\/login/);
});
