import { test, expect } from "@playwright/test";
import { addUser, hydrated, newAdmin } from "./helpers";

test("the audit log reads as sentences in the reader's language, with the recorded details one click away", async ({ page }) => {
  const admin = await newAdmin(page);
  const adminName = `${admin.first} ${admin.last}`;
  const login = `locked-${Date.now()}`;
  await addUser(page, login);
  const userName = `Sam User ${login}`;

  // The administrator locks the user from the users table.
  await page.goto(`/users?login_name=${login}`);
  await hydrated(page);
  await page.getByLabel(`Actions for ${login}`).click();
  await page.locator(`[data-testid=user-row][data-login="${login}"]`).locator("details").getByText("Lock", { exact: true }).click();
  const dialog = page.getByRole("alertdialog");
  await dialog.getByRole("button", { name: "Lock", exact: true }).click();
  await expect(dialog).toBeHidden();

  await page.getByRole("link", { name: "Audit log" }).click();
  await hydrated(page);
  const english = `${adminName} locked ${userName}`;
  await expect(page.getByTestId("audit-sentence").filter({ hasText: english })).toBeVisible();
  await expect(page.getByTestId("audit-sentence").filter({ hasText: `${adminName} created the user ${userName}` })).toBeVisible();

  // The action filter offers readable names and filters by code.
  await page.getByLabel("Action").selectOption({ label: "User locked" });
  await expect(page).toHaveURL(/action=user\.locked/);
  await expect(page.getByTestId("audit-row")).toHaveCount(1);
  await expect(page.getByTestId("audit-sentence")).toHaveText(english);
  await page.screenshot({ path: "/tmp/audit-en.png", fullPage: true });

  // A filter nothing matches says so and how to get back.
  await page.getByLabel("Actor").fill("nobody-by-this-name");
  await expect(page.getByTestId("audit-empty")).toContainText("No event matches these filters.");
  await page.screenshot({ path: "/tmp/audit-empty.png", fullPage: true });
  await page.getByRole("link", { name: "Clear the filters" }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByLabel("Actor")).toHaveValue("");
  await expect(page.getByTestId("audit-sentence").filter({ hasText: english })).toBeVisible();

  // French at once: the same page, not reloaded.
  await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
  await page.getByLabel("Language").selectOption("fr");
  const french = `${adminName} a verrouillé ${userName}`;
  const row = page.getByTestId("audit-row").filter({ hasText: french });
  await expect(row).toBeVisible();
  await expect(page.getByTestId("audit-sentence").filter({ hasText: `${adminName} a créé l’utilisateur ${userName}` })).toBeVisible();
  await expect(page.getByRole("option", { name: "Utilisateur verrouillé" })).toHaveCount(1);
  await expect(page.locator("label[for=audit-actor]")).toHaveText("Auteur");
  expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);

  // The recorded details, pretty-printed, open with the keyboard.
  await row.getByText("Voir les détails").focus();
  await page.keyboard.press("Enter");
  await expect(row.getByTestId("audit-json")).toBeVisible();
  await expect(row.getByTestId("audit-json")).toHaveText("{}");
  await expect(row.getByTestId("audit-details")).toContainText("user.locked");
  await page.screenshot({ path: "/tmp/audit-fr-details.png", fullPage: true });

  // The dashboard tells the same story, in either language.
  await page.goto("/");
  await hydrated(page);
  await expect(page.getByTestId("recent-event").filter({ hasText: french })).toBeVisible();
  await page.getByLabel("Langue").selectOption("en");
  await expect(page.getByTestId("recent-event").filter({ hasText: english })).toBeVisible();
  await page.screenshot({ path: "/tmp/audit-dashboard.png", fullPage: true });
});
