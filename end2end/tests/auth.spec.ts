import { test, expect } from "@playwright/test";
import { PASSWORD, createCompany, hydrated, newAdmin, newPerson, register, serverCli, signIn, verifyEmail } from "./helpers";

test("register, create an account, sign out, sign in, and change a reset password", async ({ page, browser }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const person = newPerson();

  await register(page, person);
  // Until the address is confirmed, no company can be created.
  await expect(page.getByTestId("verify-notice")).toContainText(person.email);
  await hydrated(page);
  await page.getByLabel("Company name").fill(person.company);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#field-account_name-message")).toHaveText("Confirm your e-mail address first: open the link we mailed you.");
  await verifyEmail(page, person);
  await expect(page.getByTestId("verify-notice")).toBeHidden();
  await createCompany(page, person);
  await expect(page.getByTestId("header-account")).toHaveText(person.company);
  await expect(page.getByTestId("partner-id")).toHaveText(/^PT-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
  await expect(page.getByText("Primary administrator")).toBeVisible();
  await page.screenshot({ path: "test-results/home.png", fullPage: true });

  await page.getByLabel("Your account menu").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/, { timeout: 10_000 });

  await signIn(page, person.email, PASSWORD);
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();

  // An operator resets the password: every session ends, and the temporary one must be replaced.
  const output = serverCli("reset-password", "--user", person.login);
  const temporary = output.match(/Temporary password for \S+: (\S+)/)![1];
  await page.reload();
  await expect(page).toHaveURL(/\/login$/);

  await signIn(page, person.login, temporary);
  await expect(page).toHaveURL(/\/password\/change$/);
  await expect(page.getByText("Your password was set by someone else")).toBeVisible();
  await page.screenshot({ path: "test-results/forced-change.png", fullPage: true });
  await page.goto("/");
  await expect(page).toHaveURL(/\/password\/change$/);
  await hydrated(page);

  await page.getByLabel("Current password").fill(temporary);
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Use at least 10 characters.")).toBeVisible();

  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  // A forced change continues to where the user was going, without another click.
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();

  // The new password works in a fresh browser; the temporary one no longer does.
  const other = await browser.newPage();
  await signIn(other, person.login, temporary);
  await expect(other.getByRole("alert").filter({ hasText: "Wrong login or password." })).toBeVisible();
  await signIn(other, person.login, "a brand new passphrase");
  await expect(other.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();
  await other.close();

  expect(errors).toEqual([]);
});

test("a wrong password and an unknown user get identical answers", async ({ page, request }) => {
  const person = newPerson();
  await register(page, person);

  const wrong = await request.post("/api/auth/login", { form: { identifier: person.login, password: "not my password" } });
  const unknown = await request.post("/api/auth/login", { form: { identifier: `nobody-${person.login}`, password: "not my password" } });
  expect(wrong.status()).toBe(401);
  expect([unknown.status(), await unknown.text()]).toEqual([wrong.status(), await wrong.text()]);

  await page.context().clearCookies();
  await signIn(page, person.login, "still not my password");
  const message = page.getByRole("alert").filter({ hasText: "Wrong login or password." });
  await expect(message).toBeVisible();
  await signIn(page, `nobody-${person.login}`, "still not my password");
  await expect(message).toBeVisible();
});

test("registration shows each bad field's error beside it and creates nothing", async ({ page, request }) => {
  const person = newPerson();
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("First name").fill(person.first);
  await page.getByLabel("Last name").fill(person.last);
  await page.getByLabel("E-mail").fill("jane-at-example.com");
  await page.getByLabel("Login name").fill(person.login);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create login" }).click();
  await expect(page.getByLabel("E-mail")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#field-email-message")).toHaveText("Enter an e-mail address such as name@example.com.");
  await expect(page).toHaveURL(/\/register$/);

  const login = await request.post("/api/auth/login", { form: { identifier: person.login, password: PASSWORD } });
  expect(login.status()).toBe(401);
});

test("the interface switches to French and keeps the choice", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Language").selectOption("fr");
  await expect(page.getByRole("heading", { name: "Connexion à Portico" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await page.reload();
  await expect(page.getByRole("heading", { name: "Connexion à Portico" })).toBeVisible();
  await page.screenshot({ path: "test-results/login-fr.png", fullPage: true });
});

test("signing out everywhere else ends the other browser's session", async ({ page, browser }) => {
  const person = await newAdmin(page);

  const laptop = await browser.newPage();
  await signIn(laptop, person.login, PASSWORD);
  await expect(laptop.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();

  await page.getByLabel("Your account menu").click();
  await page.getByRole("link", { name: "Your sessions" }).click();
  await expect(page.getByTestId("session-row")).toHaveCount(2);
  await expect(page.getByText("This device")).toHaveCount(1);
  await hydrated(page);
  await page.screenshot({ path: "test-results/sessions.png", fullPage: true });
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByTestId("session-row")).toHaveCount(1);

  await laptop.reload();
  await expect(laptop).toHaveURL(/\/login$/);
  await laptop.close();
});
