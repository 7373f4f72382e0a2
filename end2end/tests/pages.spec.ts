// Every page is a lazy route with a WASM chunk of its own (SPEC P1): each must hydrate when
// loaded directly, again after a reload, and when reached by client-side navigation from any
// other page, with nothing on the console (a hydration mismatch or a failed chunk shows there).
import { test, expect, type Page } from "@playwright/test";
import { hydrated, newAdmin } from "./helpers";
import { SIGNED_OUT_PAGES, signedInPages } from "../pages";

/** Console errors and warnings, and uncaught exceptions, from now on. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`exception: ${error.message}`));
  return problems;
}

/** The signed-in pages, with the administrator's own user page for `/users/:id`. */
async function adminPages(page: Page): Promise<string[]> {
  await page.goto("/users");
  const own = await page.getByTestId("user-row").first().getByTestId("row-menu").locator("a").first().getAttribute("href");
  expect(own).toMatch(/^\/users\/\d+$/);
  return signedInPages(own!);
}

/** Navigates inside the app, as a click on one of its links would: no new document. */
async function clientSideTo(page: Page, path: string) {
  await page.evaluate((href) => {
    const link = document.createElement("a");
    link.href = href;
    document.body.append(link);
    link.click();
    link.remove();
  }, path);
}

async function expectPageShown(page: Page, path: string) {
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[?]/g, "\\?")}$`));
  await expect(page.locator("main h1").first()).toBeVisible();
}

test("every page hydrates when loaded directly and after a reload", async ({ page, browser }) => {
  test.setTimeout(120_000);
  await newAdmin(page);
  const pages = await adminPages(page);
  const problems = watchConsole(page);
  for (const path of pages) {
    for (const how of ["load", "reload"]) {
      if (how === "load") await page.goto(path);
      else await page.reload();
      await hydrated(page);
      await expectPageShown(page, path);
      expect(problems, `${how} of ${path}`).toEqual([]);
    }
  }

  const stranger = await browser.newPage();
  const strangerProblems = watchConsole(stranger);
  for (const path of SIGNED_OUT_PAGES) {
    await stranger.goto(path);
    await hydrated(stranger);
    await expect(stranger.locator("main h1").first()).toBeVisible();
    await stranger.reload();
    await hydrated(stranger);
    await expect(stranger.locator("main h1").first()).toBeVisible();
    expect(strangerProblems, path).toEqual([]);
  }
  await stranger.close();
});

test("every page is reached from every other page without a new document", async ({ page }) => {
  test.setTimeout(180_000);
  await newAdmin(page);
  const pages = await adminPages(page);
  const problems = watchConsole(page);
  for (const from of pages) {
    await page.goto(from);
    await hydrated(page);
    // A full page load would drop this mark: its survival proves client-side routing.
    await page.evaluate(() => ((window as unknown as { portico_mark: boolean }).portico_mark = true));
    for (const to of pages.filter((path) => path !== from)) {
      await clientSideTo(page, to);
      await expectPageShown(page, to);
    }
    expect(await page.evaluate(() => (window as unknown as { portico_mark?: boolean }).portico_mark)).toBe(true);
    expect(problems, `navigating from ${from}`).toEqual([]);
  }
});
