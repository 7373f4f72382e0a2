import { test, expect, type Page } from "@playwright/test";
import { addUser, enrolTotp, hydrated, linkIn, mailContaining, newAdmin, signIn, signInFirstTime } from "./helpers";

async function openPartners(page: Page) {
  await page.goto("/partners");
  await expect(page.getByRole("heading", { name: "Partners", exact: true })).toBeVisible();
  await hydrated(page);
}

function linkCard(page: Page, other: string) {
  return page.locator(`[data-testid=partner-link][data-other="${other}"]`);
}

async function ownPartnerId(page: Page): Promise<string> {
  await openPartners(page);
  return (await page.getByTestId("own-partner-id").textContent())!.trim();
}

/** `customer` invites `partner` by Partner ID through the API (setup for later flows), and the partner accepts. */
async function linkUp(customer: Page, partner: Page) {
  const partnerId = await ownPartnerId(partner);
  expect((await customer.request.post("/api/partners/invite", { form: { partner_id: partnerId } })).ok()).toBeTruthy();
  const { links } = await (await partner.request.post("/api/partners/list")).json();
  const accepted = await partner.request.post("/api/partners/respond", { form: { link_id: String(links[0].id), accept: "true" } });
  expect(accepted.ok()).toBeTruthy();
}

test("a customer invites a partner by Partner ID; the partner is mailed and accepts", async ({ page, browser }) => {
  const customer = await newAdmin(page);
  const partnerPage = await (await browser.newContext()).newPage();
  const partner = await newAdmin(partnerPage);
  const partnerId = await ownPartnerId(partnerPage);

  await openPartners(page);
  await page.getByLabel("Partner ID").fill(partnerId.toLowerCase());
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The invitation was sent" })).toBeVisible();
  await expect(linkCard(page, partner.company).getByTestId("status")).toHaveText("Invited");

  const mail = await mailContaining(partner.email, "invites your company");
  expect(mail).toContain(customer.company);
  await partnerPage.goto(linkIn(mail));
  await hydrated(partnerPage);
  const card = linkCard(partnerPage, customer.company);
  await expect(card.getByTestId("status")).toHaveText("Invited");
  await card.getByRole("button", { name: "Accept" }).click();
  await expect(card.getByTestId("status")).toHaveText("Active");
  await page.reload();
  await expect(linkCard(page, partner.company).getByTestId("status")).toHaveText("Active");
  await page.screenshot({ path: "test-results/partners.png", fullPage: true });
});

test("a partner's invitation link, opened in another browser by the customer, signs them in and is confirmed", async ({ page, browser }) => {
  const partner = await newAdmin(page);
  const customerPage = await (await browser.newContext()).newPage();
  const customer = await newAdmin(customerPage);
  await customerPage.getByLabel("Your account menu").click();
  await customerPage.getByRole("button", { name: "Sign out" }).click();
  await expect(customerPage).toHaveURL(/\/login$/);

  await openPartners(page);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const url = await page.getByTestId("partner-link-url").inputValue();
  expect(url).toContain("/partners/accept?token=");

  // A fresh browser: the link sends the customer to sign in, then back to the invitation.
  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto(linkIn(url));
  await expect(fresh).toHaveURL(/\/login\?next=/);
  // Neither the address bar nor the way back after signing in holds the token (SPEC S7).
  await expect(fresh).not.toHaveURL(/token=/);
  await hydrated(fresh);
  await fresh.getByLabel("E-mail or login name").fill(customer.login);
  await fresh.getByLabel("Password").fill("correct horse battery");
  await fresh.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(fresh).toHaveURL(/\/partners\/accept$/);
  await expect(fresh.getByTestId("partner-ask")).toContainText(`${partner.company} (PT-`);
  await expect(fresh.getByTestId("partner-ask")).toContainText(customer.company);
  await hydrated(fresh);
  await fresh.screenshot({ path: "test-results/partner-accept.png", fullPage: true });
  await fresh.getByRole("button", { name: "Confirm the partner" }).click();
  await expect(fresh.getByRole("status")).toHaveText("The partner link is active.");

  await page.reload();
  await expect(linkCard(page, customer.company).getByTestId("status")).toHaveText("Active");
  await fresh.goto(linkIn(url));
  await expect(fresh).not.toHaveURL(/token=/);
  await expect(fresh.getByRole("alert")).toContainText("invalid, already used or expired");
});

test("partner staff act for a customer within their role; the customer sees it in the audit log, revokes, and the next request is refused", async ({ page, browser }) => {
  const customer = await newAdmin(page);
  const partnerPage = await (await browser.newContext()).newPage();
  const partner = await newAdmin(partnerPage);
  await linkUp(page, partnerPage);
  const staff = `sam-${Date.now()}`;
  await addUser(partnerPage, staff);

  // The partner's admin gives Sam access to the customer as a user manager.
  await openPartners(partnerPage);
  const card = linkCard(partnerPage, customer.company);
  await card.getByLabel("Staff member").selectOption({ label: `Sam User ${staff} (${staff})` });
  await card.getByLabel("Customer role").selectOption({ label: "User manager" });
  await card.getByRole("button", { name: "Give access" }).click();
  await expect(card.getByTestId("grant")).toContainText("User manager");
  // The customer sees who holds access.
  await openPartners(page);
  await expect(linkCard(page, partner.company).getByTestId("grant")).toContainText(staff);

  // Sam picks the customer and administers its users.
  const sam = await (await browser.newContext()).newPage();
  await signInFirstTime(sam, staff, "sam's own passphrase");
  await expect(sam.getByRole("heading", { name: "Welcome, Sam" })).toBeVisible();
  await hydrated(sam);
  // Not without a second factor (F15): the picker leads to the security page, which says why.
  await sam.getByLabel("Account to act for").selectOption({ label: `${customer.company} (User manager)` });
  await expect(sam).toHaveURL(/\/security\?reason=acting$/);
  await expect(sam.getByTestId("factor-required")).toBeVisible();
  await enrolTotp(sam);
  await sam.goto("/");
  await hydrated(sam);
  await sam.getByLabel("Account to act for").selectOption({ label: `${customer.company} (User manager)` });
  await expect(sam.getByTestId("acting-banner")).toContainText(`You are acting for ${customer.company}`);
  // The dashboard names the customer as the account acted for, not as Sam's own.
  await expect(sam.getByRole("heading", { name: "Acting for" })).toBeVisible();
  await expect(sam.getByTestId("account-name")).toHaveText(customer.company);
  await hydrated(sam);
  await sam.getByRole("link", { name: "Users", exact: true }).click();
  await expect(sam.getByTestId("user-row").filter({ hasText: customer.email })).toBeVisible();
  await expect(sam.getByTestId("acting-banner")).toBeVisible();
  const added = `cust-${Date.now()}`;
  await sam.getByRole("link", { name: "Add user" }).click();
  await hydrated(sam);
  await sam.getByLabel("First name").fill("Cora");
  await sam.getByLabel("Last name").fill("Added");
  await sam.getByLabel("Login name").fill(added);
  await sam.getByLabel("E-mail", { exact: true }).fill(`${added}@example.com`);
  // Partner staff invite; no password of theirs is ever set for a customer's people.
  await expect(sam.getByTestId("acting-limits")).toBeVisible();
  await expect(sam.getByLabel("How do they get in?")).toHaveCount(0);
  await expect(sam.getByLabel("Initial password")).toHaveCount(0);
  await sam.getByRole("button", { name: "Add user" }).click();
  await expect(sam.getByTestId("user-row").filter({ hasText: added })).toBeVisible();
  await sam.screenshot({ path: "test-results/acting-for.png", fullPage: true });

  // The customer's audit log names Sam and his company; the CSV export holds the same.
  await page.getByRole("link", { name: "Audit log" }).click();
  await hydrated(page);
  await page.getByLabel("Action").selectOption("user.created");
  const row = page.getByTestId("audit-row").filter({ hasText: "Cora Added" });
  await expect(row.getByTestId("audit-sentence")).toContainText(`Sam User ${staff} (${partner.company}, acting for this account) invited Cora Added`);
  await expect(page).toHaveURL(/action=user\.created/);
  await expect(page.getByText("Page 1 of 1")).toBeVisible();
  await page.screenshot({ path: "test-results/audit.png", fullPage: true });
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
  const csv = await (await download.createReadStream()).toArray();
  const text = Buffer.concat(csv).toString("utf8");
  expect(text.split("\n")[0]).toBe("time,actor,actor_company,action,target,details,client_ip,sentence");
  expect(text).toContain(`${staff},${partner.company},user.created,${added}`);

  // The customer revokes; Sam's next request is refused and he returns home.
  await openPartners(page);
  await linkCard(page, partner.company).getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Revoke" }).click();
  await expect(linkCard(page, partner.company).getByTestId("status")).toHaveText("Revoked");
  // Sam, still on the users page, clicks "Users": the page is fetched again and says the
  // access ended, instead of showing the customer's users.
  await expect(sam).toHaveURL(/\/users$/);
  await sam.getByRole("link", { name: "Users", exact: true }).click();
  await expect(sam.getByTestId("access-ended")).toContainText(customer.company);
  await expect(sam.getByTestId("user-row")).toHaveCount(0);
  await hydrated(sam);
  await sam.getByRole("button", { name: "Back to my account" }).click();
  await expect(sam.getByRole("heading", { name: "Welcome, Sam" })).toBeVisible();
  await expect(sam.getByTestId("header-account")).toHaveText(partner.company);
  await expect(sam.getByTestId("acting-banner")).toBeHidden();
});
