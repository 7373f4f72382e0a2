import { test, expect, type Locator, type Page } from "@playwright/test";
import { PASSWORD, addUser, hydrated, newAdmin, newPerson, register, verifyEmail } from "./helpers";

// An administrator's day without friction: each test below failed before its fix.

async function openUsers(page: Page) {
  await page.goto("/users");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
}

function row(page: Page, login: string) {
  return page.locator(`[data-testid=user-row][data-login="${login}"]`);
}

/**
 * The visible text of the page, with digits blanked (times move on between two reads) and the
 * audit events left out: switching the language is itself recorded, so a reload shows one more.
 */
async function visibleText(page: Page) {
  let text = await page.locator("body").innerText();
  const events = page.locator("[data-testid=recent-event], [data-testid=audit-row], [data-testid=audit-total]");
  for (const event of await events.allInnerTexts()) text = text.replace(event, "");
  return text.replace(/\d/g, "0").replace(/\s+/g, " ");
}

/** True when `locator` is inside the viewport and the topmost element at its centre. */
async function reachable(locator: Locator) {
  return locator.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const inside = box.top >= 0 && box.left >= 0 && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return inside && !!hit && (hit === el || el.contains(hit));
  });
}

test("switching to French translates every visible string of every page at once, as a reload would", async ({ page }) => {
  await newAdmin(page);
  const login = `lang-${Date.now()}`;
  await addUser(page, login);
  await page.goto(`/users?login_name=${login}`);
  await hydrated(page);
  const editPath = await row(page, login).getByRole("link", { name: "Edit", includeHidden: true }).getAttribute("href");

  for (const path of ["/", "/users", "/users/new", editPath!, "/roles", "/partners", "/audit", "/account", "/profile", "/sessions", "/password/change"]) {
    await page.goto(path);
    await hydrated(page);
    await page.locator("#language").selectOption("fr");
    await expect(page.locator("html")).toHaveAttribute("lang", "fr");
    await page.waitForLoadState("networkidle");
    const switched = await visibleText(page);
    await page.reload();
    await hydrated(page);
    await page.waitForLoadState("networkidle");
    expect(switched, `${path} after the switch, compared with a reload`).toBe(await visibleText(page));
    await page.locator("#language").selectOption("en");
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
  }

  // The parts the issue named: filter labels, column headers and role names on /users.
  await openUsers(page);
  await page.locator("#language").selectOption("fr");
  await expect(page.getByRole("searchbox", { name: "Prénom" })).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "Nom", exact: true })).toBeVisible();
  await expect(row(page, login)).toContainText("Membre");
  await page.screenshot({ path: "test-results/users-fr.png", fullPage: true });
  await page.locator("#language").selectOption("en");
});

test("row menus open whole inside the viewport, one at a time, and close on a click elsewhere or Escape", async ({ page }) => {
  await newAdmin(page);
  const stamp = Date.now();
  const first = `menu-a-${stamp}`;
  const last = `menu-b-${stamp}`;
  await addUser(page, first);
  await addUser(page, last);
  await page.setViewportSize({ width: 1280, height: 560 });
  await page.goto("/users?sort=login_name");
  await hydrated(page);
  await expect(page.getByTestId("user-row")).toHaveCount(3);

  // The last row of a short table, scrolled to the bottom of the window: the menu opens
  // upwards, every entry visible and clickable.
  const lastButton = page.getByLabel(`Actions for ${last}`);
  await lastButton.scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await lastButton.click();
  const lastMenu = row(page, last).getByTestId("row-menu");
  // The menu is placed on its `toggle` event, which the browser fires a moment after opening.
  for (const entry of ["Edit", "Reset password", "Lock", "Force logout", "Delete", "Make primary administrator"]) {
    const item = lastMenu.getByText(entry, { exact: true });
    await expect.poll(() => reachable(item), { message: `${entry} is on screen and not covered` }).toBe(true);
  }
  // The other rows' buttons stay visible and clickable beside it.
  expect(await reachable(page.getByLabel(`Actions for ${first}`))).toBe(true);
  await page.screenshot({ path: "test-results/row-menu.png" });

  // Opening another menu closes this one.
  await page.getByLabel(`Actions for ${first}`).click();
  await expect(row(page, first).getByTestId("row-menu")).toBeVisible();
  await expect(lastMenu).toBeHidden();

  // A click elsewhere closes it.
  await page.getByRole("heading", { name: "Users" }).click();
  await expect(row(page, first).getByTestId("row-menu")).toBeHidden();

  // Escape closes it and gives the focus back to its button.
  await page.getByLabel(`Actions for ${first}`).click();
  await expect(row(page, first).getByTestId("row-menu")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(row(page, first).getByTestId("row-menu")).toBeHidden();
  await expect(page.getByLabel(`Actions for ${first}`)).toBeFocused();
});

test("bulk dialogs say beforehand what will happen, in the right plural", async ({ page }) => {
  const admin = await newAdmin(page);
  const stamp = Date.now();
  const one = `plural-a-${stamp}`;
  const two = `plural-b-${stamp}`;
  await addUser(page, one);
  await addUser(page, two);
  await openUsers(page);

  await page.getByLabel(`Select ${one}`).check();
  await expect(page.getByTestId("selected-count")).toHaveText("1 user selected");
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Lock", exact: true }).click();
  await expect(page.getByRole("alertdialog")).toContainText("Lock 1 user?");
  await expect(page.getByTestId("confirm-list")).toHaveCount(0);
  await page.keyboard.press("Escape");

  // The administrator's own row is in the selection: the dialog says it will be skipped.
  await page.getByLabel(`Select ${two}`).check();
  await page.getByLabel(`Select ${admin.login}`).check();
  await expect(page.getByTestId("selected-count")).toHaveText("3 users selected");
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Delete", exact: true }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog.getByRole("heading")).toHaveText("Delete 2 users?");
  await expect(dialog).toContainText("1 user will be skipped:");
  await expect(page.getByTestId("confirm-list")).toContainText(`${admin.login}: You cannot do this to yourself here`);
  await page.screenshot({ path: "test-results/bulk-dialog.png" });
  await dialog.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByTestId("notice")).toContainText("2 users deleted.");

  // Only the skipped one selected: nothing to confirm, only to close.
  await page.getByLabel(`Select ${admin.login}`).check();
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Lock", exact: true }).click();
  await expect(dialog.getByRole("heading")).toHaveText("None of the selected users can be changed this way.");
  await expect(dialog.getByRole("button", { name: "Lock" })).toHaveCount(0);
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();

  // French plurals: 0 and 1 take the singular.
  await page.locator("#language").selectOption("fr");
  await expect(page.getByTestId("selected-count")).toHaveText("1 utilisateur sélectionné");
});

test("checked users stay checked across filters, with a count and a way to clear; bulk actions take them all", async ({ page }) => {
  await newAdmin(page);
  const stamp = Date.now();
  const ann = `keep-ann-${stamp}`;
  const bob = `keep-bob-${stamp}`;
  await addUser(page, ann);
  await addUser(page, bob);
  await openUsers(page);

  await page.getByLabel(`Select ${ann}`).check();
  const login = page.getByRole("searchbox", { name: "Login name" });
  await login.fill(bob);
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await expect(page.getByTestId("selected-count")).toHaveText("1 user selected (1 of them not shown here)");
  await page.getByLabel(`Select ${bob}`).check();
  await expect(page.getByTestId("selected-count")).toHaveText("2 users selected (1 of them not shown here)");
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Lock", exact: true }).click();
  await expect(page.getByRole("alertdialog").getByRole("heading")).toHaveText("Lock 2 users?");
  await page.getByRole("alertdialog").getByRole("button", { name: "Lock", exact: true }).click();
  await expect(page.getByTestId("notice")).toContainText("2 users locked.");

  await login.fill("");
  await page.getByLabel(`Select ${ann}`).check();
  await expect(page.getByTestId("bulk-bar")).toBeVisible();
  await page.getByRole("button", { name: "Clear selection" }).click();
  await expect(page.getByTestId("bulk-bar")).toBeHidden();
  await expect(page.getByLabel(`Select ${ann}`)).not.toBeChecked();
});

test("a filter without match says so and clears; empty lists say what to do next", async ({ page }) => {
  await newAdmin(page);
  await openUsers(page);
  await expect(page.getByTestId("no-invitations")).toHaveText("No invitation is waiting. Use Add user to invite someone by e-mail.");
  const email = page.getByRole("searchbox", { name: "E-mail" });
  await email.fill("nobody-matches-this");
  await expect(page.getByTestId("no-match")).toContainText("No user matches these filters.");
  await page.screenshot({ path: "test-results/users-no-match.png", fullPage: true });
  await page.getByRole("button", { name: "Clear the filters" }).click();
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByRole("searchbox", { name: "E-mail" })).toHaveValue("");

  await page.getByRole("link", { name: "Partners" }).click();
  await hydrated(page);
  await expect(page.getByTestId("customer-side").getByTestId("empty")).toContainText("enter its Partner ID under “Invite a partner”");
  await expect(page.getByTestId("partner-side").getByTestId("empty")).toContainText("Create an invitation link");
});

test("after Add user the table names the new user, and Back returns to the table", async ({ page }) => {
  await newAdmin(page);
  await openUsers(page);
  await page.getByRole("link", { name: "Add user" }).click();
  await expect(page.getByRole("heading", { name: "Add a user" })).toBeVisible();
  await hydrated(page);
  const login = `added-${Date.now()}`;
  await page.getByLabel("First name").fill("Nora");
  await page.getByLabel("Last name").fill("Added");
  await page.getByLabel("Login name").fill(login);
  await page.getByLabel("E-mail", { exact: true }).fill(`${login}@example.com`);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByTestId("notice")).toHaveText(`Nora Added was added. An invitation is on its way to ${login}@example.com.`);
  await expect(row(page, login)).toBeVisible();
  await page.screenshot({ path: "test-results/user-added.png" });
  await page.goBack();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
});

test("copy buttons put the account key and the Partner ID on the clipboard", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await newAdmin(page);
  const partnerId = (await page.getByTestId("partner-id").textContent())!.trim();
  await page.getByRole("button", { name: "Copy Partner ID" }).click();
  await expect(page.getByRole("button", { name: "Copied Partner ID" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(partnerId);

  await page.getByRole("link", { name: "Account" }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Show the key" }).click();
  const key = (await page.getByTestId("account-key").textContent())!.trim();
  await page.getByRole("button", { name: "Copy Account key" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

  await page.getByRole("link", { name: "Partners" }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const link = await page.getByTestId("partner-link-url").inputValue();
  await page.getByRole("button", { name: "Copy Invitation link" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
});

test("closing the account says why it is unavailable while others are members", async ({ page }) => {
  await newAdmin(page);
  await addUser(page, `stay-${Date.now()}`);
  await page.goto("/account");
  await hydrated(page);
  await expect(page.getByTestId("close-unavailable")).toHaveText(
    "You cannot close the account while 1 other member belongs to it. Make them primary administrator on the Users page and leave, or remove them first.",
  );
  const close = page.getByRole("button", { name: "Close account" });
  await expect(close).toBeDisabled();
  await expect(close).toHaveAccessibleDescription(/1 other member belongs to it/);
  await page.screenshot({ path: "test-results/close-unavailable.png", fullPage: true });
});

test("small layout faults: one-line pills, separated badges, wording and French spacing", async ({ page }) => {
  const admin = await newAdmin(page);
  const login = `pill-${Date.now()}`;
  await addUser(page, login);
  await page.goto(`/users`);
  await hydrated(page);
  for (const language of ["en", "fr"]) {
    await page.locator("#language").selectOption(language);
    await expect(page.locator("html")).toHaveAttribute("lang", language);
    const pill = row(page, login).locator("td span.rounded-full");
    const box = (await pill.boundingBox())!;
    const lineHeight = await pill.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight));
    expect(box.height, `the ${language} status pill is one line`).toBeLessThan(lineHeight * 1.8);
  }
  await page.locator("#language").selectOption("en");
  // Screen readers hear "Jane, Primary admin", not "JanePrimary admin".
  const name = await row(page, admin.login).locator("td").nth(1).textContent();
  expect(name).toBe(`${admin.first}, Primary admin`);

  // French puts a non-breaking space before ?, : and !.
  await page.locator("#language").selectOption("fr");
  await page.getByLabel(`Sélectionner ${login}`).check();
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Verrouiller", exact: true }).click();
  await expect(page.getByRole("alertdialog").getByRole("heading")).toHaveText("Verrouiller 1 utilisateur\u00a0?");
  await page.keyboard.press("Escape");
  await page.locator("#language").selectOption("en");
});

test("a forced password change continues to where the user was going", async ({ page, browser }) => {
  await newAdmin(page);
  const login = `onward-${Date.now()}`;
  await addUser(page, login);
  const user = await (await browser.newContext()).newPage();
  await user.goto("/profile");
  await expect(user).toHaveURL(/\/login\?next=%2Fprofile$/);
  await hydrated(user);
  await user.getByLabel("E-mail or login name").fill(login);
  await user.getByLabel("Password").fill(PASSWORD);
  await user.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(user).toHaveURL(/\/password\/change\?next=%2Fprofile$/);
  await hydrated(user);
  await user.getByLabel("Current password").fill(PASSWORD);
  await user.getByLabel("New password").fill("my own passphrase now");
  await user.getByRole("button", { name: "Change password" }).click();
  await expect(user).toHaveURL(/\/profile$/);
  await expect(user.getByRole("heading", { name: "Your profile" })).toBeVisible();
});

test("the account form asks plainly whether the company already has an account", async ({ page }) => {
  const person = newPerson();
  await register(page, person);
  await verifyEmail(page, person);
  await expect(page.getByText("Does your company already have an account? Ask one of its administrators for the account key.")).toBeVisible();
});
