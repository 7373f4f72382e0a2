// SPEC P1: the bytes a browser downloads for every page (cold cache, signed in where the page
// needs it), compressed as they travel, by kind: HTML, CSS, JS, WASM, and the rest
// (server-function calls, icons) shown apart; the bytes fetched when moving from the users page
// to each other page; and Lighthouse's performance on /users. Bytes are counted from Chromium's
// own network events (CDP `Network.loadingFinished.encodedDataLength`: body plus headers).
//
//   BENCH_LOGIN=... BENCH_PASSWORD=... BENCH_RESULTS=/abs/results.tsv \
//     npx playwright test --config bench/playwright.config.ts
//
// Writes ../target/bench/p1.json and, with BENCH_RESULTS, appends rows to that table.
import { test, expect, type Browser, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { SIGNED_OUT_PAGES, clientSideTo, signedInPages } from "../pages";

const LOGIN = process.env.BENCH_LOGIN ?? "benchadmin";
const PASSWORD = process.env.BENCH_PASSWORD ?? "";
const RESULTS = process.env.BENCH_RESULTS;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** 250 KB, in kB of 1000 bytes (the stricter reading). */
const BUDGET_BYTES = 250_000;
const LIGHTHOUSE_SCORE = 0.95;
const LIGHTHOUSE_TTI_MS = 2500;

type Kind = "HTML" | "CSS" | "JS" | "WASM" | "other";
const KINDS: Kind[] = ["HTML", "CSS", "JS", "WASM", "other"];
/** What P1 counts; server-function calls ("other") are data, not the page. */
const COUNTED: Kind[] = ["HTML", "CSS", "JS", "WASM"];
type Resource = { url: string; kind: Kind; wire: number; decoded: number };
type Load = { page: string; total: number; decoded: number; byKind: Record<Kind, number>; resources: Resource[] };

function kindOf(cdpType: string, url: string, mime: string): Kind {
  if (mime === "application/wasm" || new URL(url).pathname.endsWith(".wasm")) return "WASM";
  if (cdpType === "Document") return "HTML";
  if (cdpType === "Stylesheet") return "CSS";
  if (cdpType === "Script") return "JS";
  return "other";
}

const kB = (bytes: number) => (bytes / 1000).toFixed(1);

/** Records every response the page receives while `action` runs. */
async function measure(page: Page, name: string, cold: boolean, action: () => Promise<void>): Promise<Load> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: cold });
  const seen = new Map<string, Resource>();
  cdp.on("Network.responseReceived", (e) => {
    seen.set(e.requestId, { url: e.response.url, kind: kindOf(e.type, e.response.url, e.response.mimeType), wire: 0, decoded: 0 });
  });
  cdp.on("Network.dataReceived", (e) => {
    const r = seen.get(e.requestId);
    if (r) r.decoded += e.dataLength;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = seen.get(e.requestId);
    if (r) r.wire = e.encodedDataLength;
  });
  await action();
  await page.waitForLoadState("networkidle");
  await cdp.detach();
  const resources = [...seen.values()];
  const byKind = Object.fromEntries(KINDS.map((k) => [k, resources.filter((r) => r.kind === k).reduce((s, r) => s + r.wire, 0)])) as Record<Kind, number>;
  const counted = resources.filter((r) => COUNTED.includes(r.kind));
  return {
    page: name,
    total: counted.reduce((s, r) => s + r.wire, 0),
    decoded: counted.reduce((s, r) => s + r.decoded, 0),
    byKind,
    resources,
  };
}

async function signedIn(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  // Through the API (cookies are shared with the page): no page is loaded, so the cache is empty.
  const login = await page.request.post("/api/auth/login", { form: { identifier: LOGIN, password: PASSWORD } });
  expect(login.status(), await login.text()).toBe(200);
  return page;
}

async function hydratedAndShown(page: Page) {
  await page.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 30_000 });
  await expect(page.locator("main h1").first()).toBeVisible();
}

function printLoads(title: string, loads: Load[]) {
  console.log(`\n${title} (kB = 1000 bytes, on the wire)`);
  console.log(`${"page".padEnd(22)} ${KINDS.map((k) => k.padStart(8)).join(" ")} ${"counted".padStart(9)} ${"raw".padStart(9)}`);
  for (const l of loads) {
    console.log(`${l.page.padEnd(22)} ${KINDS.map((k) => kB(l.byKind[k]).padStart(8)).join(" ")} ${kB(l.total).padStart(9)} ${kB(l.decoded).padStart(9)}`);
  }
}

function appendResults(rows: string[][]) {
  if (RESULTS) fs.appendFileSync(RESULTS, rows.map((r) => r.join("\t") + "\n").join(""));
}

const report: Record<string, unknown> = { budget: BUDGET_BYTES };

test.afterAll(() => {
  const out = path.resolve(__dirname, "../../target/bench/p1.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2));
});

test("P1: first load of every page, cold cache", async ({ browser }) => {
  test.setTimeout(300_000);
  expect(PASSWORD, "BENCH_PASSWORD is set").not.toBe("");
  const probe = await signedIn(browser);
  await probe.goto("/users");
  const own = await probe.getByTestId("user-row").first().getByTestId("row-menu").locator("a").first().getAttribute("href");
  await probe.close();

  const loads: Load[] = [];
  for (const name of signedInPages(own!)) {
    const page = await signedIn(browser);
    loads.push(await measure(page, name, true, async () => {
      await page.goto(name);
      await hydratedAndShown(page);
    }));
    await page.close();
  }
  for (const name of SIGNED_OUT_PAGES) {
    const page = await browser.newPage();
    loads.push(await measure(page, `${name} (signed out)`, true, async () => {
      await page.goto(name);
      await hydratedAndShown(page);
    }));
    await page.close();
  }
  printLoads("P1 first load of every page, cold cache", loads);
  const users = loads.find((l) => l.page === "/users")!;
  console.log("\n/users resources:");
  for (const r of users.resources.sort((a, b) => b.wire - a.wire)) {
    console.log(`  ${new URL(r.url).pathname.slice(0, 60).padEnd(60)} ${r.kind.padEnd(6)} ${kB(r.wire).padStart(8)} kB`);
  }
  report.firstLoads = loads;
  const worst = loads.reduce((a, b) => (b.total > a.total ? b : a));
  const parts = (l: Load) => COUNTED.map((k) => `${k} ${kB(l.byKind[k])}`).join(", ");
  appendResults([
    ["P1 /users first load, compressed (cold cache, Chromium)", `${kB(users.total)} kB (${parts(users)}; ${kB(users.decoded)} kB raw)`, `<= ${kB(BUDGET_BYTES)} kB`, users.total <= BUDGET_BYTES ? "pass" : "MISS"],
    [`P1 largest first load of ${loads.length} pages (${worst.page})`, `${kB(worst.total)} kB (${parts(worst)})`, `<= ${kB(BUDGET_BYTES)} kB`, worst.total <= BUDGET_BYTES ? "pass" : "MISS"],
  ]);
});

test("P1: moving from the users page to every other page", async ({ browser }) => {
  test.setTimeout(300_000);
  const page = await signedIn(browser);
  await page.goto("/users");
  await hydratedAndShown(page);
  const own = await page.getByTestId("user-row").first().getByTestId("row-menu").locator("a").first().getAttribute("href");
  const moves: Load[] = [];
  for (const name of signedInPages(own!).filter((p) => p !== "/users")) {
    // Back on the users page (from the cache) before each move, so each move starts alike.
    await page.goto("/users");
    await hydratedAndShown(page);
    await page.waitForLoadState("networkidle");
    moves.push(await measure(page, name, false, async () => {
      await clientSideTo(page, name);
      await expect(page).toHaveURL(new RegExp(`${name}$`));
      await expect(page.locator("main h1").first()).toBeVisible();
    }));
  }
  await page.close();
  printLoads("P1 bytes fetched moving from /users to each page (warm cache)", moves);
  report.movesFromUsers = moves;
  const worst = moves.reduce((a, b) => (b.total > a.total ? b : a));
  appendResults([
    [`P1 largest move from /users (${worst.page}): code fetched`, `${kB(worst.total)} kB (JS ${kB(worst.byKind.JS)}, WASM ${kB(worst.byKind.WASM)}; data ${kB(worst.byKind.other)})`, "info", "info"],
  ]);
});

test("P1: Lighthouse on /users (mobile defaults)", async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const page = await signedIn(browser);
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  await page.close();
  const out = path.resolve(__dirname, "../../target/bench/lighthouse.json");
  const lighthouse = path.resolve(__dirname, "../node_modules/.bin/lighthouse");
  execFileSync(lighthouse, [
    `${baseURL}/users`,
    "--only-categories=performance",
    "--output=json",
    `--output-path=${out}`,
    `--extra-headers=${JSON.stringify({ Cookie: cookie })}`,
    "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
    "--quiet",
  ], { env: { ...process.env, CHROME_PATH: CHROMIUM }, stdio: "inherit" });
  const lhr = JSON.parse(fs.readFileSync(out, "utf8"));
  expect(lhr.finalDisplayedUrl ?? lhr.finalUrl, "Lighthouse saw the users page, signed in").toMatch(/\/users$/);
  const score: number = lhr.categories.performance.score;
  const tti: number = lhr.audits.interactive.numericValue;
  const tbt: number = lhr.audits["total-blocking-time"].numericValue;
  console.log(`\nLighthouse /users: performance ${score}, time to interactive ${Math.round(tti)} ms, total blocking time ${Math.round(tbt)} ms`);
  report.lighthouse = { score, tti, tbt };
  appendResults([
    ["P1 Lighthouse /users performance (mobile)", String(score), `>= ${LIGHTHOUSE_SCORE}`, score >= LIGHTHOUSE_SCORE ? "pass" : "MISS"],
    ["P1 Lighthouse /users time to interactive", `${(tti / 1000).toFixed(2)} s (total blocking ${Math.round(tbt)} ms)`, `<= ${LIGHTHOUSE_TTI_MS / 1000} s`, tti <= LIGHTHOUSE_TTI_MS ? "pass" : "MISS"],
  ]);
});
