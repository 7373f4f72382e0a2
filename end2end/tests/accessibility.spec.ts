import { test, expect, type Page } from "@playwright/test";
import { PASSWORD, addUser, audit, hydrated, newAdmin, newPerson, openUserPage, register, signIn, verifyEmail } from "./helpers";

async function visit(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
  await audit(page, path);
}

test("every page passes an axe-core audit without serious or critical violations", async ({ page, browser }) => {
  // Signed out, in a separate browser so the visitor has no session.
  const visitor = await (await browser.newContext()).newPage();
  for (const path of ["/login", "/register", "/password/forgot", "/password/reset?token=unknown", "/invitation?token=unknown", "/verify-email?token=unknown", "/login/second-step", "/no-such-page"]) {
    await visit(visitor, path);
  }
  // A login form showing its error.
  await signIn(visitor, "nobody-here", "wrong password");
  await expect(visitor.getByRole("alert").first()).toBeVisible();
  await audit(visitor, "/login with an error");

  // Registered, before having a company; then the primary administrator's pages.
  const person = newPerson();
  await register(page, person);
  await verifyEmail(page, person);
  await audit(page, "/account/new");
  await page.getByLabel("Company name").fill(person.company);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();
  await hydrated(page);
  await audit(page, "/ (dashboard)");

  const login = `axe-${Date.now()}`;
  await addUser(page, login);
  for (const path of ["/users", "/users/new", "/roles", "/sessions", "/security", "/profile", "/account", "/partners", "/audit", "/password/change", "/partners/accept?token=unknown"]) {
    await visit(page, path);
  }
  // The audit log with an event's recorded details open.
  await page.goto("/audit");
  await hydrated(page);
  await page.getByTestId("audit-details").first().locator("summary").click();
  await expect(page.getByTestId("audit-json").first()).toBeVisible();
  await audit(page, "/audit with an event's details open");
  await openUserPage(page, login);
  await audit(page, "/users/:id");

  // Adding an authenticator app: the QR code, the secret and the confirmation form.
  await page.goto("/security");
  await hydrated(page);
  await page.getByRole("button", { name: "Add an authenticator app" }).click();
  await expect(page.getByTestId("totp-secret")).toBeVisible();
  await audit(page, "/security while adding an app");

  // The import page showing a preview with problems beside the rows.
  await visit(page, "/users/import");
  const csv = "first_name,last_name,login_name,email,roles\nAnn,Lee,ann-axe,not-an-address,Wizard\n,Doe,jo-axe,jo-axe@example.com,\n";
  await page.getByLabel("CSV file").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await expect(page.getByTestId("import-row")).toHaveCount(2);
  await audit(page, "/users/import with a preview showing problems");

  // The users table with a selection, the bulk bar and its confirmation dialog open.
  await page.goto("/users");
  await hydrated(page);
  await page.getByTestId("select-page").check();
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("alertdialog")).toBeVisible();
  await audit(page, "/users with the delete dialog open");

  // A filter without match, with its way out.
  await page.keyboard.press("Escape");
  await page.goto("/users?email=nobody-matches-this");
  await hydrated(page);
  await expect(page.getByTestId("no-match")).toBeVisible();
  await audit(page, "/users with no match");
  // A row's open menu.
  await page.goto(`/users?login_name=${login}`);
  await hydrated(page);
  await page.getByLabel(`Actions for ${login}`).click();
  await expect(page.getByTestId("row-menu")).toBeVisible();
  await audit(page, "/users with a row menu open");

  // The same pages in French.
  await page.keyboard.press("Escape");
  await page.getByLabel("Language").selectOption("fr");
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await visit(page, "/users");
  await visit(page, "/audit");
});

test("an administrator signs in, filters, selects and force-logs-out a user with the keyboard alone", async ({ page }) => {
  const admin = await newAdmin(page);
  const login = `keys-${Date.now()}`;
  await addUser(page, login);
  await page.context().clearCookies();

  // Sign in: fields and button reached by Tab, submitted by Enter.
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("E-mail or login name").focus();
  await page.keyboard.type(admin.login);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: `Welcome, ${admin.first}` })).toBeVisible();
  await hydrated(page);

  // From the top of the page, Tab reaches the Users link of the navigation.
  await tabUntil(page, page.getByRole("link", { name: "Users", exact: true }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  await hydrated(page);

  await tabUntil(page, page.getByRole("searchbox", { name: "Login name" }));
  await page.keyboard.type(login);
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await tabUntil(page, page.getByLabel(`Select ${login}`));
  await page.keyboard.press("Space");
  await expect(page.getByTestId("bulk-bar")).toContainText("1 user selected");
  await tabUntil(page, page.getByTestId("bulk-bar").getByRole("button", { name: "Force logout", exact: true }));
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toBeVisible();
  // Focus moves into the dialog; Escape cancels, and the action can be confirmed by keyboard.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await tabUntil(page, page.getByTestId("bulk-bar").getByRole("button", { name: "Force logout", exact: true }));
  await page.keyboard.press("Enter");
  await expect(dialog).toBeVisible();
  await tabUntil(page, dialog.getByRole("button", { name: "Force logout", exact: true }));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("notice")).toContainText("1 user signed out.");
});

/** Presses Tab until `target` has the focus; fails if it is not reached within 60 stops. */
async function tabUntil(page: Page, target: ReturnType<Page["locator"]>) {
  for (let stop = 0; stop < 60; stop++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target, "reachable with Tab").toBeFocused();
}
