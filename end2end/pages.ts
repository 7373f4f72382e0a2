// Portico's pages, for the tests and the P1 bench that visit each of them. A page that needs a
// token or a state (a reset link, a pending second step) is loaded without it: it still renders
// its own explanation, and that is the page a stranger gets.

import type { Page } from "@playwright/test";

/** The pages a signed-in administrator opens; `user` is a user's page (`/users/<id>`). */
export function signedInPages(user: string): string[] {
  return [
    "/",
    "/users",
    "/users/new",
    "/users/import",
    user,
    "/roles",
    "/sessions",
    "/security",
    "/profile",
    "/password/change",
    "/account",
    "/partners",
    "/audit",
  ];
}

/** The pages someone who is not signed in opens. */
export const SIGNED_OUT_PAGES = [
  "/login",
  "/register",
  "/password/forgot",
  "/password/reset",
  "/invitation",
  "/verify-email",
  "/partners/accept",
];

/** Moves inside the app as a click on one of its links would: the router, no new document. */
export async function clientSideTo(page: Page, to: string) {
  await page.evaluate((href) => {
    const link = document.createElement("a");
    link.href = href;
    document.body.append(link);
    link.click();
    link.remove();
  }, to);
}
