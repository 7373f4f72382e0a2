import { test, expect, type Page } from "@playwright/test";
import { SIGNED_OUT_PAGES, clientSideTo, signedInPages } from "../pages";
import { addUser, hydrated, newAdmin, openUserPage } from "./helpers";

/** Every console error or warning (hydration mismatches are reported there) and uncaught error. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: ${error.message}`));
  return problems;
}

/** Loads `path` directly, then reloads it: both times the page renders and hydrates. */
async function loadAndReload(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
  await expect(page.locator("h1").first(), path).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.locator("h1").first(), `${path} reloaded`).toBeVisible();
}

/** Follows a link to `path` inside the hydrated app: the router moves, the document stays. */
async function navigateTo(page: Page, path: string) {
  await clientSideTo(page, path);
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[/?]/g, "\\$&")}$`));
  await expect(page.locator("h1").first(), path).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), `${path} without a reload`).toBe(true);
}

test("every signed-out page loads, reloads and hydrates without a console error", async ({ page }) => {
  const problems = watchConsole(page);
  for (const path of SIGNED_OUT_PAGES) await loadAndReload(page, path);
  expect(problems).toEqual([]);
});

test("every signed-in page loads, reloads, and is reached from every other without a reload", async ({ page }) => {
  test.setTimeout(240_000); // 13 pages loaded twice, and 156 moves
  await newAdmin(page);
  const login = `pages-${Date.now()}`;
  await addUser(page, login);
  await openUserPage(page, login);
  const pages = signedInPages(new URL(page.url()).pathname);

  const problems = watchConsole(page);
  for (const path of pages) await loadAndReload(page, path);

  // From each page to every other, in one document.
  for (const from of pages) {
    await page.goto(from);
    await hydrated(page);
    await page.evaluate(() => ((window as unknown as { sameDocument?: boolean }).sameDocument = true));
    for (const to of pages.filter((path) => path !== from)) {
      await navigateTo(page, to);
    }
  }
  expect(problems).toEqual([]);
});
