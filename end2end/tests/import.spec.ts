import { test, expect } from "@playwright/test";
import fs from "node:fs";
import { hydrated, mailContaining, newAdmin } from "./helpers";

test("an admin imports users from a CSV file: a bad row is shown and stops everything, the fixed file goes in", async ({ page }) => {
  await newAdmin(page);
  await page.goto("/users");
  await hydrated(page);
  await page.getByRole("link", { name: "Import users" }).click();
  await expect(page).toHaveURL(/\/users\/import$/);
  await expect(page.getByRole("heading", { name: "Import users" })).toBeVisible();
  await hydrated(page);

  // The template: the header row and one example row.
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download the template" }).click();
  const template = fs.readFileSync(await (await downloading).path(), "utf8");
  const [header, example] = template.trim().split(/\r?\n/);
  expect(header).toBe("first_name,last_name,login_name,email,roles,language,password");
  expect(example).toContain("jane.doe@example.com");

  const id = Date.now().toString(36);
  const login = (n: number) => `imp${n}-${id}`;
  const good = (n: number) => `Imported,Person ${n},${login(n)},${login(n)}@example.com,User manager,en,`;
  const file = (rows: string[]) => ({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from([header, ...rows].join("\n") + "\n") });

  // One bad row: its problems beside it, the import refused, nothing created.
  await page.getByLabel("CSV file").setInputFiles(file([good(1), `Broken,Row,${login(9)},not-an-address,Wizard,en,`, good(2)]));
  const bad = page.locator('[data-testid=import-row][data-line="3"]');
  await expect(bad.locator("[data-column=email]")).toContainText("Enter an e-mail address such as name@example.com.");
  await expect(bad.locator("[data-column=roles]")).toContainText("No role is named “Wizard”");
  await expect(page.getByTestId("import-summary")).toHaveText("3 rows read. 1 row has problems: correct the file and choose it again.");
  await expect(page.getByRole("button", { name: "Import 3 users" })).toBeDisabled();
  await page.screenshot({ path: "test-results/import-errors.png", fullPage: true });
  const users = await page.context().newPage();
  await users.goto(`/users?login_name=-${id}`);
  await hydrated(users);
  await expect(users.getByTestId("users-range")).toContainText("of 0");

  // The corrected file goes in whole.
  await page.getByLabel("CSV file").setInputFiles(file([good(1), good(3), good(2)]));
  await expect(page.getByTestId("import-summary")).toHaveText("3 rows read. Every row is ready to import.");
  await page.getByRole("button", { name: "Import 3 users" }).click();
  const done = page.getByTestId("import-done");
  await expect(done).toContainText("3 users imported.");
  await expect(done).toContainText("3 invitations sent by e-mail.");
  await page.screenshot({ path: "test-results/import-done.png", fullPage: true });
  await mailContaining(`${login(3)}@example.com`, "invitation?token=");

  await done.getByRole("link", { name: "Back to the users" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Login name" }).fill(`-${id}`);
  await expect(page.getByTestId("user-row")).toHaveCount(3);
  for (const n of [1, 2, 3]) {
    const row = page.locator(`[data-testid=user-row][data-login="${login(n)}"]`);
    await expect(row).toContainText("User manager");
    await expect(row).toContainText("Invited");
  }
  await page.screenshot({ path: "test-results/import-users.png", fullPage: true });
});
