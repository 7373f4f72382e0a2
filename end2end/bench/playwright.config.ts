import { defineConfig } from "@playwright/test";
import suite from "../playwright.config";

// SPEC P1, run by `./portico.sh bench` only: `npx playwright test --config bench/playwright.config.ts`.
// The suite's browser and settings, but its own tests (the suite's testDir is ./tests) and the
// bench server's address.
const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:3100";

export default defineConfig({
  ...suite,
  testDir: ".",
  globalSetup: "../global-setup.ts",
  outputDir: "../test-results/bench",
  expect: { timeout: 20000 },
  use: { ...suite.use, baseURL: BASE_URL },
});
