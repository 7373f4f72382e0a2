import { test, expect } from "@playwright/test";
import { hydrated, newAdmin } from "./helpers";

test("the users table filters as you type, keeps focus, and keeps its state in the URL", async ({ page }) => {
  const person = await newAdmin(page);

  await page.getByRole("link", { name: "Users", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  await hydrated(page);
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await expect(page.getByTestId("users-range")).toHaveText("1–1 of 1");

  const lastName = page.getByRole("searchbox", { name: "Last name" });
  await lastName.pressSequentially("nobody-like-this");
  await expect(page.getByTestId("user-row")).toHaveCount(0);
  await expect(page).toHaveURL(/last_name=nobody-like-this/);
  await expect(lastName).toBeFocused();

  await lastName.fill(person.last.toUpperCase());
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await expect(page.getByTestId("user-row")).toContainText(person.email);
  await expect(page.getByTestId("user-row")).toContainText("Administrator");

  await page.getByRole("button", { name: "E-mail" }).click();
  await expect(page).toHaveURL(/sort=email/);
  await expect(page.getByRole("columnheader", { name: "E-mail" })).toHaveAttribute("aria-sort", "ascending");
  await page.screenshot({ path: "test-results/users.png", fullPage: true });
  await page.goBack();
  await expect(page).not.toHaveURL(/sort=email/);

  // A shared link opens the same view.
  await page.goto(`/users?email=${encodeURIComponent("no-such-address")}`);
  await expect(page.getByTestId("users-range")).toHaveText("0–0 of 0");
});
