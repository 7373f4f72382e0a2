// SPEC P1: the bytes a browser downloads to open the users page for the first time (cold
// cache, signed in), compressed as they travel, by kind: HTML, CSS, JS, WASM, and the rest
// (server-function calls, icons) shown apart. Counted from Chromium's own network events
// (CDP `Network.loadingFinished.encodedDataLength`: body as sent plus response headers).
//
//   BENCH_LOGIN=... BENCH_PASSWORD=... BENCH_RESULTS=/abs/results.tsv \
//     npx playwright test --config bench/playwright.config.ts
//
// Writes ../target/bench/p1.json and, with BENCH_RESULTS, appends a row to that table.
import { test, expect } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";

const LOGIN = process.env.BENCH_LOGIN ?? "benchadmin";
const PASSWORD = process.env.BENCH_PASSWORD ?? "";
/** 250 KB, in kB of 1000 bytes (the stricter reading). */
const BUDGET_BYTES = 250_000;

type Kind = "HTML" | "CSS" | "JS" | "WASM" | "other";
type Resource = { url: string; kind: Kind; encoding: string; status: number; wire: number; headers: number; decoded: number };

function kindOf(cdpType: string, url: string, mime: string): Kind {
  if (mime === "application/wasm" || new URL(url).pathname.endsWith(".wasm")) return "WASM";
  if (cdpType === "Document") return "HTML";
  if (cdpType === "Stylesheet") return "CSS";
  if (cdpType === "Script") return "JS";
  return "other";
}

const kB = (bytes: number) => (bytes / 1000).toFixed(1);

test("P1: first load of the users page, cold cache", async ({ page }) => {
  expect(PASSWORD, "BENCH_PASSWORD is set").not.toBe("");
  // Sign in through the API (cookies are shared with the page): no page is loaded, so the
  // browser's cache is still empty when the users page opens.
  const login = await page.request.post("/api/auth/login", { form: { identifier: LOGIN, password: PASSWORD } });
  expect(login.status(), await login.text()).toBe(200);

  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const seen = new Map<string, Resource>();
  cdp.on("Network.responseReceived", (e) => {
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    seen.set(e.requestId, {
      url: e.response.url,
      kind: kindOf(e.type, e.response.url, e.response.mimeType),
      encoding: headers["content-encoding"] ?? "identity",
      status: e.response.status,
      wire: 0,
      headers: e.response.encodedDataLength ?? 0,
      decoded: 0,
    });
  });
  cdp.on("Network.dataReceived", (e) => {
    const r = seen.get(e.requestId);
    if (r) r.decoded += e.dataLength;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = seen.get(e.requestId);
    if (r) r.wire = e.encodedDataLength;
  });

  await page.goto("/users");
  await expect(page).toHaveURL(/\/users/);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 30_000 });
  await expect(page.getByTestId("user-row").first()).toBeVisible();
  await page.waitForLoadState("networkidle");

  const resources = [...seen.values()];
  const kinds: Kind[] = ["HTML", "CSS", "JS", "WASM", "other"];
  const sum = (k: Kind, f: (r: Resource) => number) => resources.filter((r) => r.kind === k).reduce((s, r) => s + f(r), 0);
  const byKind = Object.fromEntries(
    kinds.map((k) => [k, { count: resources.filter((r) => r.kind === k).length, wire: sum(k, (r) => r.wire), body: sum(k, (r) => r.wire - r.headers), decoded: sum(k, (r) => r.decoded) }]),
  ) as Record<Kind, { count: number; wire: number; body: number; decoded: number }>;
  const counted: Kind[] = ["HTML", "CSS", "JS", "WASM"];
  const total = counted.reduce((s, k) => s + byKind[k].wire, 0);
  const totalBody = counted.reduce((s, k) => s + byKind[k].body, 0);
  const totalDecoded = counted.reduce((s, k) => s + byKind[k].decoded, 0);

  console.log("\nP1 first load of /users (cold cache), kB = 1000 bytes");
  console.log(`${"resource".padEnd(44)} ${"kind".padEnd(6)} ${"encoding".padEnd(9)} ${"wire kB".padStart(9)} ${"raw kB".padStart(9)}`);
  for (const r of resources.sort((a, b) => b.wire - a.wire)) {
    const name = new URL(r.url).pathname.slice(0, 44);
    console.log(`${name.padEnd(44)} ${r.kind.padEnd(6)} ${r.encoding.padEnd(9)} ${kB(r.wire).padStart(9)} ${kB(r.decoded).padStart(9)}`);
  }
  for (const k of kinds) {
    const b = byKind[k];
    console.log(`${("total " + k).padEnd(44)} ${String(b.count).padEnd(6)} ${"".padEnd(9)} ${kB(b.wire).padStart(9)} ${kB(b.decoded).padStart(9)}`);
  }
  const pass = total <= BUDGET_BYTES;
  console.log(`HTML+CSS+JS+WASM: ${kB(total)} kB on the wire (${kB(totalBody)} kB of bodies, ${kB(totalDecoded)} kB uncompressed); budget <= ${kB(BUDGET_BYTES)} kB: ${pass ? "pass" : "MISS"}`);

  const out = path.resolve(__dirname, "../../target/bench/p1.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ total, totalBody, totalDecoded, budget: BUDGET_BYTES, byKind, resources }, null, 2));
  const results = process.env.BENCH_RESULTS;
  if (results) {
    const parts = counted.map((k) => `${k} ${kB(byKind[k].wire)}`).join(", ");
    const rows = [
      ["P1 users page first load, compressed (cold cache, Chromium)", `${kB(total)} kB (${parts}; ${kB(totalDecoded)} kB raw)`, `<= ${kB(BUDGET_BYTES)} kB`, pass ? "pass" : "MISS"],
      ["P1 besides: server-function calls and other requests", `${kB(byKind.other.wire)} kB in ${byKind.other.count} requests`, "not counted", "info"],
    ];
    fs.appendFileSync(results, rows.map((r) => r.join("\t") + "\n").join(""));
  }
});
