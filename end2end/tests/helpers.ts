import { expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import path from "node:path";

export const PASSWORD = "correct horse battery";

/** A fresh person for each test: nothing is shared between tests. */
export function newPerson() {
  const id = Math.random().toString(36).slice(2, 10);
  return {
    first: "Jane",
    last: `Doe-${id}`,
    login: `jane-${id}`,
    email: `jane+${id}@example.com`,
    company: `Acme ${id}`,
  };
}

/** Waits until the WASM has hydrated the page, so clicks reach Leptos handlers. */
export async function hydrated(page: Page) {
  await page.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 20_000 });
}

export async function register(page: Page, person: ReturnType<typeof newPerson>) {
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("First name").fill(person.first);
  await page.getByLabel("Last name").fill(person.last);
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Login name").fill(person.login);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create login" }).click();
  await expect(page).toHaveURL(/\/account\/new$/);
}

export async function signIn(page: Page, identifier: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("E-mail or login name").fill(identifier);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Runs the server's CLI against the test server's database, as an operator would. */
export function serverCli(...args: string[]): string {
  const binary = path.resolve(__dirname, "../../target/release/server");
  return execFileSync(binary, args, { env: process.env, encoding: "utf8" });
}
