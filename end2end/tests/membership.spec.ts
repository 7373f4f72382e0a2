import { test, expect, type Page } from "@playwright/test";
import { hydrated, mailContaining, newAdmin, newPerson, register, verifyEmail } from "./helpers";

/** The account key, as an administrator reads it on the account page. */
async function readKey(page: Page): Promise<string> {
  await page.getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { name: "Account", exact: true })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Show the key" }).click();
  await page.screenshot({ path: "test-results/account.png", fullPage: true });
  return (await page.getByTestId("account-key").textContent())!.trim();
}

test("a colleague joins by account key; the administrators get a mail and the dashboard counts them", async ({ page, browser }) => {
  const admin = await newAdmin(page);
  const key = await readKey(page);
  expect(key).toMatch(/^AK(-[2-9A-Z]{4}){7}$/);

  const colleague = newPerson();
  const other = await (await browser.newContext()).newPage();
  await register(other, colleague);
  await verifyEmail(other, colleague);
  await other.getByLabel("Account key").fill(key.toLowerCase());
  await other.getByRole("button", { name: "Join account" }).click();
  await expect(other.getByRole("heading", { name: `Welcome, ${colleague.first}` })).toBeVisible();
  await expect(other.getByTestId("header-account")).toHaveText(admin.company);

  const mail = await mailContaining(admin.email, "used the account key");
  expect(mail).toContain(colleague.email);

  // The account's default language becomes the language new users start with.
  await page.locator("#account-locale").selectOption("fr");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("The account's details were saved.")).toBeVisible();
  await page.goto("/users/new");
  await expect(page.locator("#user-locale")).toHaveValue("fr");
  await page.goto("/");
  await expect(page.getByTestId("count-members")).toHaveText("2");
  await expect(page.getByTestId("recent-event").filter({ hasText: `${colleague.first} ${colleague.last} joined the account with the account key` })).toBeVisible();
  await page.screenshot({ path: "test-results/dashboard.png", fullPage: true });
});

test("a member changes account with another company's key in one step", async ({ page, browser }) => {
  const first = await newAdmin(page);
  const firstKey = await readKey(page);
  const secondPage = await (await browser.newContext()).newPage();
  const second = await newAdmin(secondPage);
  const secondKey = await readKey(secondPage);

  const member = newPerson();
  const memberPage = await (await browser.newContext()).newPage();
  await register(memberPage, member);
  await verifyEmail(memberPage, member);
  await memberPage.getByLabel("Account key").fill(firstKey);
  await memberPage.getByRole("button", { name: "Join account" }).click();
  await expect(memberPage.getByTestId("header-account")).toHaveText(first.company);

  await memberPage.getByRole("link", { name: "Account" }).click();
  await hydrated(memberPage);
  await memberPage.getByLabel("Account key of the other company").fill(secondKey);
  await memberPage.getByRole("button", { name: "Change account" }).click();
  const dialog = memberPage.getByRole("alertdialog");
  await expect(dialog).toContainText(`You will leave ${first.company}`);
  await dialog.getByRole("button", { name: "Change account" }).click();
  await expect(memberPage.getByTestId("header-account")).toHaveText(second.company);
  await expect(memberPage.getByRole("heading", { name: `Welcome, ${member.first}` })).toBeVisible();
});
