import { test } from "@playwright/test";
import { newAdmin } from "./helpers";
test("debug", async ({ page }) => {
  const logs: string[] = [];
  page.on("pageerror", (e) => logs.push(`pageerror: ${e}`));
  await newAdmin(page);
  for (const path of ["/", "/users", "/roles", "/partners", "/account", "/audit", "/profile", "/sessions"]) {
    logs.length = 0;
    await page.goto(path);
    await page.waitForTimeout(2500);
    const hydrated = await page.locator("html[data-hydrated]").count();
    console.log(path, hydrated, logs.join(" | ").slice(0, 100));
  }
});
