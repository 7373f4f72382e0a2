import { defineConfig, devices } from "@playwright/test";

// SPEC P1, run by `./portico.sh bench` only: `npx playwright test --config bench/playwright.config.ts`.
// Kept out of the normal suite (its testDir is ./tests). Debian's Chromium, as there.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:3100";

export default defineConfig({
  testDir: ".",
  globalSetup: "../global-setup.ts",
  outputDir: "../test-results/bench",
  timeout: 60 * 1000,
  expect: { timeout: 20000 },
  retries: 0,
  workers: 1,
  reporter: "list",
  use: {
    baseURL: BASE_URL,
    trace: "off",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        headless: true,
        launchOptions: {
          executablePath: CHROMIUM,
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        },
      },
    },
  ],
});
