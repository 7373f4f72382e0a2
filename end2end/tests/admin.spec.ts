import { test, expect, type Page } from "@playwright/test";
import { PASSWORD, addUser, hydrated, linkIn, mailContaining, mailsTo, newAdmin, newPerson, signIn } from "./helpers";

async function openUsers(page: Page) {
  await page.goto("/users");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
}

function row(page: Page, login: string) {
  return page.locator(`[data-testid=user-row][data-login="${login}"]`);
}

async function rowAction(page: Page, login: string, action: string) {
  await page.getByLabel(`Actions for ${login}`).click();
  await row(page, login).locator("details").getByText(action, { exact: true }).click();
}

async function confirm(page: Page, button: string) {
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: button, exact: true }).click();
  await expect(dialog).toBeHidden();
}

test("an admin adds a user with an initial password; at first sign-in they must replace it", async ({ page, browser }) => {
  await newAdmin(page);
  await openUsers(page);
  await page.getByRole("link", { name: "Add user" }).click();
  await expect(page.getByRole("heading", { name: "Add a user" })).toBeVisible();
  await hydrated(page);
  const login = `pat-${Date.now()}`;
  await page.getByLabel("First name").fill("Pat");
  await page.getByLabel("Last name").fill("Lee");
  await page.getByLabel("Login name").fill(login);
  await page.getByLabel("E-mail", { exact: true }).fill("not-an-address");
  await page.getByLabel("How do they get in?").selectOption("password");
  await page.getByLabel("Initial password").fill(PASSWORD);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.locator("#field-email-message")).toHaveText("Enter an e-mail address such as name@example.com.");
  await page.getByLabel("E-mail", { exact: true }).fill(`${login}@example.com`);
  await page.getByLabel("User manager").check();
  await page.screenshot({ path: "test-results/add-user.png", fullPage: true });
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(row(page, login)).toContainText("User manager");
  await expect(row(page, login)).toContainText("Must change password");

  const pat = await (await browser.newContext()).newPage();
  await signIn(pat, login, PASSWORD);
  await expect(pat).toHaveURL(/\/password\/change$/);
});

test("an invitation read from the mailbox lets the invitee join; pending invitations can be resent", async ({ page, browser }) => {
  const admin = await newAdmin(page);
  await page.goto("/users/new");
  await hydrated(page);
  const login = `ivy-${Date.now()}`;
  await page.getByLabel("First name").fill("Ivy");
  await page.getByLabel("Last name").fill("Lane");
  await page.getByLabel("Login name").fill(login);
  await page.getByLabel("E-mail", { exact: true }).fill(`${login}@example.com`);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(row(page, login)).toContainText("Invited");
  const pending = page.getByTestId("invitation");
  await expect(pending).toContainText(`${login}@example.com`);
  await pending.getByRole("button", { name: "Resend" }).click();
  await expect(page.getByTestId("notice")).toHaveText("The invitation was sent again with a new link.");

  const [first, second] = await mailsTo(`${login}@example.com`, 2);
  expect(second).toContain(admin.company);
  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(linkIn(first));
  await expect(invitee).not.toHaveURL(/token=/);
  await expect(invitee.getByRole("alert")).toContainText("invalid, already used or expired");
  await invitee.goto(linkIn(second));
  await expect(invitee).not.toHaveURL(/token=/);
  await expect(invitee).toHaveURL(/\/invitation$/);
  await expect(invitee.getByRole("heading", { name: `Join ${admin.company}` })).toBeVisible();
  // The token waits in a cookie, so the page survives a reload.
  await invitee.reload();
  await expect(invitee.getByRole("heading", { name: `Join ${admin.company}` })).toBeVisible();
  await hydrated(invitee);
  await invitee.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await invitee.getByRole("button", { name: "Join" }).click();
  await expect(invitee.getByRole("heading", { name: "Welcome, Ivy" })).toBeVisible();
  await expect(invitee.getByTestId("header-account")).toHaveText(admin.company);
});

test("bulk lock skips the admin themself, select-all-matching reaches every page, and the outcome says what happened", async ({ page }) => {
  const admin = await newAdmin(page);
  const stamp = Date.now();
  for (let n = 0; n < 27; n++) await addUser(page, `bulk${n}-${stamp}`);
  await openUsers(page);
  await expect(page.getByTestId("users-range")).toHaveText("1–25 of 28");
  const pager = page.getByRole("navigation", { name: "Pages" });
  await pager.getByRole("button", { name: "Next" }).click();
  await expect(page.getByTestId("users-range")).toHaveText("26–28 of 28");
  await expect(page.getByTestId("user-row")).toHaveCount(3);
  await pager.getByRole("button", { name: "Previous" }).click();
  await expect(page.getByTestId("users-range")).toHaveText("1–25 of 28");
  await pager.getByRole("button", { name: "Last" }).click();
  await expect(page.getByTestId("users-range")).toHaveText("26–28 of 28");
  await pager.getByRole("button", { name: "First" }).click();
  await expect(page.getByTestId("users-range")).toHaveText("1–25 of 28");

  await page.getByTestId("select-page").check();
  await expect(page.getByTestId("bulk-bar")).toContainText("25 users selected");
  await page.getByRole("button", { name: "Select all 28 matching users" }).click();
  await expect(page.getByTestId("bulk-bar")).toContainText("28 users selected");
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Lock", exact: true }).click();
  // The dialog says beforehand who will be skipped, and why.
  await expect(page.getByRole("alertdialog")).toContainText("Lock 27 users?");
  await expect(page.getByRole("alertdialog")).toContainText("1 user will be skipped:");
  await expect(page.getByTestId("confirm-list")).toContainText(`${admin.login}: You cannot do this to yourself here`);
  await confirm(page, "Lock");
  const notice = page.getByTestId("notice");
  await expect(notice).toContainText("27 users locked.");
  await expect(notice).toContainText(`${admin.login}: You cannot do this to yourself here`);
  await page.screenshot({ path: "test-results/bulk-outcome.png", fullPage: true });

  // Filtered by status, then unlocked by filter.
  await page.getByLabel("Status").selectOption("locked");
  await expect(page.getByTestId("users-range")).toHaveText("1–25 of 27");
  await page.getByTestId("select-page").check();
  await page.getByRole("button", { name: "Select all 27 matching users" }).click();
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Unlock", exact: true }).click();
  await confirm(page, "Unlock");
  await expect(page.getByTestId("notice")).toContainText("27 users unlocked.");
  await expect(page.getByTestId("users-range")).toHaveText("0–0 of 0");

  // Bulk delete of checked rows.
  await page.getByLabel("Status").selectOption("");
  await page.getByRole("searchbox", { name: "Login name" }).fill(`bulk1`);
  // bulk1 and bulk10 to bulk19
  await expect(page.getByTestId("users-range")).toHaveText("1–11 of 11");
  await page.getByTestId("select-page").check();
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("alertdialog")).toContainText("Delete 11 users?");
  await confirm(page, "Delete");
  await expect(page.getByTestId("notice")).toContainText("11 users deleted.");
  await expect(page.getByTestId("user-row")).toHaveCount(0);
});

test("a forced-out user's open page lands on the sign-in page with a message", async ({ page, browser }) => {
  await newAdmin(page);
  const login = `out-${Date.now()}`;
  await addUser(page, login);

  const other = await (await browser.newContext()).newPage();
  await signIn(other, login, PASSWORD);
  await expect(other).toHaveURL(/\/password\/change$/);
  await hydrated(other);
  await other.getByLabel("Current password").fill(PASSWORD);
  await other.getByLabel("New password").fill("a fresh secret here");
  await other.getByRole("button", { name: "Change password" }).click();
  await expect(other.getByRole("heading", { name: "Welcome, Sam" })).toBeVisible();
  await other.goto("/profile");
  await hydrated(other);

  await openUsers(page);
  await rowAction(page, login, "Force logout");
  await confirm(page, "Force logout");
  await expect(page.getByTestId("notice")).toContainText("1 user signed out.");

  // The open page's next request is refused, and it goes to the sign-in page.
  await other.getByLabel("First name").fill("Samuel");
  await other.getByRole("button", { name: "Save", exact: true }).click();
  await expect(other).toHaveURL(/\/login\?reason=signed_out$/);
  await expect(other.getByTestId("signed-out")).toHaveText("Your session has ended. Please sign in again.");
});

test("reset password mails a temporary password that works for one sign-in", async ({ page, browser }) => {
  await newAdmin(page);
  const login = `reset-${Date.now()}`;
  await addUser(page, login);
  await openUsers(page);
  await rowAction(page, login, "Reset password");
  await confirm(page, "Reset password");
  await expect(page.getByTestId("notice")).toContainText("receives an e-mail");

  const mail = (await mailsTo(`${login}@example.com`))[0];
  const temporary = mail.match(/^\s+([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})\s*$/m)![1];
  const user = await (await browser.newContext()).newPage();
  await signIn(user, login, temporary);
  await expect(user).toHaveURL(/\/password\/change$/);
  const again = await (await browser.newContext()).newPage();
  await signIn(again, login, temporary);
  await expect(again.getByRole("alert").first()).toContainText("Wrong login or password.");
});

test("forgot password: the link from the mailbox sets a new password", async ({ page }) => {
  const person = newPerson();
  await newAdmin(page, person);
  await page.getByLabel("Your account menu").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await hydrated(page);
  await page.getByLabel("E-mail", { exact: true }).fill(person.email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("If this address belongs to a user");

  const mail = await mailContaining(person.email, "password/reset");
  await page.goto(linkIn(mail));
  await expect(page).not.toHaveURL(/token=/);
  await expect(page).toHaveURL(/\/password\/reset$/);
  await hydrated(page);
  await page.getByLabel("New password").fill("remembered at last");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password was changed");
  await signIn(page, person.login, "remembered at last");
  await expect(page.getByRole("heading", { name: `Welcome, ${person.first}` })).toBeVisible();
});

test("custom roles: create with permissions, assign, and delete with the holder count", async ({ page }) => {
  await newAdmin(page);
  await page.getByRole("link", { name: "Roles" }).click();
  await expect(page.getByRole("heading", { name: "Roles" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "New role" }).click();
  const form = page.getByTestId("role-form");
  const name = `Helpdesk ${Date.now()}`;
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Description").fill("Answers the phone");
  await form.getByLabel("See users").check();
  await form.getByRole("button", { name: "Save role" }).click();
  await expect(page.getByRole("status")).toHaveText("Role saved.");
  const role = page.locator(`[data-testid=role][data-role="${name}"]`);
  await expect(role).toContainText("See users");
  await page.screenshot({ path: "test-results/roles.png", fullPage: true });

  // Assign it to a new user through the edit form.
  const login = `role-${Date.now()}`;
  await addUser(page, login);
  await openUsers(page);
  await rowAction(page, login, "Edit");
  await hydrated(page);
  await page.getByLabel(name).check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Changes saved.");

  await page.goto("/roles");
  await hydrated(page);
  await expect(role.getByTestId("holders")).toHaveText("1 user holds it");
  await role.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("alertdialog")).toContainText("1 user holds it and will lose it.");
  await confirm(page, "Delete");
  await expect(page.getByRole("status")).toHaveText("Role deleted; 1 user lost it.");
  await expect(role).toHaveCount(0);
});

test("the primary administrator hands the role over and is signed out", async ({ page }) => {
  await newAdmin(page);
  const login = `heir-${Date.now()}`;
  await addUser(page, login);
  await openUsers(page);
  await rowAction(page, login, "Make primary administrator");
  await expect(page.getByRole("alertdialog")).toContainText("You keep your roles but lose this title");
  await confirm(page, "Make primary administrator");
  await expect(page).toHaveURL(/\/login\?reason=signed_out$/);
  const mail = (await mailsTo(`${login}@example.com`))[0];
  expect(mail).toContain("primary administrator");
});
