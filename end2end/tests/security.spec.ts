import { test, expect } from "@playwright/test";
import { PASSWORD, newPerson } from "./helpers";

test("a cross-origin POST to a server function is refused and changes nothing", async ({ request }) => {
  const person = newPerson();
  const form = {
    first_name: person.first,
    last_name: person.last,
    email: person.email,
    login_name: person.login,
    password: PASSWORD,
    locale: "en",
  };
  const forged = await request.post("/api/auth/register", {
    headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    form,
  });
  expect(forged.status()).toBe(403);
  const login = await request.post("/api/auth/login", { form: { identifier: person.login, password: PASSWORD } });
  expect(login.status()).toBe(401);
});

test("pages carry strict security headers and an HttpOnly session cookie", async ({ page, request }) => {
  const response = await page.goto("/login");
  const headers = response!.headers();
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-frame-options"]).toBe("DENY");

  const person = newPerson();
  const registered = await request.post("/api/auth/register", {
    form: { first_name: "A", last_name: "B", email: person.email, login_name: person.login, password: PASSWORD, locale: "en" },
  });
  const cookie = registered.headers()["set-cookie"];
  expect(cookie).toMatch(/portico_session=[A-Za-z0-9_-]{43};/);
  expect(cookie).toContain("HttpOnly");
  expect(cookie).toContain("SameSite=Lax");
});
