import { test, expect } from "@playwright/test";
import { hydrated, newAdmin, serverCli } from "./helpers";

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

test("past 10,000 matches the count says 10,000+, in both languages, and select-all-matching still takes every match", async ({ page }) => {
  const admin = await newAdmin(page);
  // Letters only, unique to this test's account: the seeded logins are the prefix and a number.
  const prefix = `many${Math.random().toString(36).replace(/[^a-z]/g, "").slice(0, 8)}`;
  expect(serverCli("seed-users", "--account-of", admin.login, "--count", "10050", "--prefix", prefix)).toContain("Added 10050 users");

  await page.goto("/users");
  await hydrated(page);
  // The whole account is counted exactly, however large.
  await expect(page.getByTestId("users-range")).toHaveText("1–25 of 10,051");
  const range = page.getByTestId("users-range");
  const pager = page.getByRole("navigation", { name: "Pages" });
  const go = (name: string) => pager.getByRole("button", { name, exact: true }).click();
  await expect(pager.getByRole("button", { name: "First" })).toBeDisabled();
  await expect(pager.getByRole("button", { name: "Previous" })).toBeDisabled();
  // The last page holds what is left after full pages (10,051 = 402 × 25 + 1), so the pages
  // counted from either end line up.
  await go("Last");
  await expect(range).toHaveText("10,051–10,051 of 10,051");
  await expect(page).toHaveURL(/at=last/);
  await expect(pager.getByRole("button", { name: "Next" })).toBeDisabled();
  await go("Previous");
  await expect(range).toHaveText("10,026–10,050 of 10,051");
  await expect(page.getByTestId("user-row")).toHaveCount(25);
  await go("Previous");
  await expect(range).toHaveText("10,001–10,025 of 10,051");
  await go("Next");
  await expect(range).toHaveText("10,026–10,050 of 10,051");
  // The cursor is in the URL: reload, Back and a shared link show the same page.
  const middle = await page.getByTestId("user-row").first().getAttribute("data-login");
  await page.reload();
  await hydrated(page);
  await expect(range).toHaveText("10,026–10,050 of 10,051");
  await expect(page.getByTestId("user-row").first()).toHaveAttribute("data-login", middle!);
  await page.goBack();
  await expect(range).toHaveText("10,001–10,025 of 10,051");
  await go("First");
  await expect(range).toHaveText("1–25 of 10,051");
  await go("Next");
  await expect(range).toHaveText("26–50 of 10,051");

  const login = page.getByRole("searchbox", { name: "Login name" });
  await login.fill(prefix);
  await expect(range).toHaveText("1–25 of 10,000+");
  await page.screenshot({ path: "test-results/users-over-cap.png", fullPage: true });
  // Past the cap the pages from the end are counted from the end.
  await go("Last");
  await expect(range).toHaveText("Last 25 of 10,000+");
  await go("Previous");
  await expect(range).toHaveText("25 of 10,000+, page 2 from the end");
  await page.screenshot({ path: "test-results/users-from-the-end.png", fullPage: true });
  await go("First");
  await expect(range).toHaveText("1–25 of 10,000+");

  await page.getByTestId("select-page").check();
  await page.getByRole("button", { name: "Select all 10,000+ matching users" }).click();
  await expect(page.getByTestId("bulk-bar")).toContainText("10,000+ users selected");
  await page.getByLabel("Language").selectOption("fr");
  await expect(page.getByTestId("users-range")).toHaveText("1–25 sur 10\u202f000+");
  await expect(page.getByTestId("bulk-bar")).toContainText("10\u202f000+ utilisateurs sélectionnés");
  await page.getByLabel("Langue").selectOption("en");

  await page.getByTestId("bulk-bar").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("alertdialog")).toContainText(/Delete 10,?050 users\?/);
  await page.getByRole("alertdialog").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByTestId("notice")).toContainText(/10,?050 users deleted\./, { timeout: 30_000 });
  await login.fill("");
  await expect(page.getByTestId("users-range")).toHaveText("1–1 of 1");
});
