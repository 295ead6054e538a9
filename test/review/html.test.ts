// index.html in real Chromium, opened from file:// the way a person opens a CI artifact: a review
// of a change that breaks png (app depends on it) and adds an atom, built with the real seed. The
// page must agree with review.json section by section, in the order, open a failing
// atom's log from the keyboard, link a dep-failed row to its root, fetch nothing and log no
// error. A screenshot is left in the OS temp dir (eka-review-index.png) for a person to look at.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../../src/review/html.ts";
import type { Review } from "../../src/review/types.ts";
import { helloToml, makeFixture, PNG_C, type Fixture } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`review index.html test skipped: ${CHROMIUM} is absent`);

/** The order (evaluation errors first, still succeeding collapsed near the end). */
const ORDER = ["evaluation-error", "newly-failing", "newly-succeeding", "identical-output", "size-flag", "added", "removed", "still-failing", "still-succeeding", "not-built", "unchanged", "moved"];

let f: Fixture;
let out: string;
let rv: Review;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  f = makeFixture();
  const base = await f.commit("base");
  f.write("libs/png/src/png.c", PNG_C("return 1600 + ;"));
  f.write("tools/extra/atom.toml", helloToml("extra"));
  f.write("tools/extra/src/extra.c", '#include <stdio.h>\nint main(void) { puts("extra"); return 0; }\n');
  const head = await f.commit("break png, add extra");
  out = join(f.tmp, "review");
  // The store is empty: the base side is unknown, nothing of it is built (--base=cached).
  const r = await f.eka(["review", base, head, "-o", out, "--no-progress"]);
  if (r.status !== 1) throw new Error(`eka review: exit ${r.status}, expected 1 (regressions):\n${r.stderr}`);
  rv = JSON.parse(readFileSync(join(out, "review.json"), "utf8")) as Review;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (f) rmSync(f.tmp, { recursive: true, force: true });
});

/** A page that records every request and every console error or uncaught exception. */
async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (q) => requests.push(q.url()));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(file).href);
  return { page, requests, errors };
}

describe.skipIf(!haveChromium)("review index.html in Chromium", { timeout: 120_000 }, () => {
  it("eka review wrote it, and review.json is what the test expects", () => {
    expect(existsSync(join(out, "index.html"))).toBe(true);
    expect(rv.counts).toMatchObject({ "newly-failing": 1, "dep-failed": 1, added: 1, unchanged: 2 });
    expect(rv.failures).toEqual([{ root: "png", package: "png-1.6.0", dependents: ["app"], tail: 0, log: "png.log" }]);
  });

  it("agrees with review.json: verdict first, sections in order with their counts, the log, the root link", async () => {
    const { page, requests, errors } = await open(join(out, "index.html"));

    // Verdict first: the first thing in the body's text.
    const verdict = page.locator("#verdict");
    expect(await verdict.getAttribute("data-merge-safe")).toBe("false");
    expect((await page.locator("body").innerText()).trimStart()).toMatch(/^✗ not merge-safe \(1 newly failing\)/);

    // Sections in the order, each count the number of rows review.json has.
    const sections = await page.locator("main > section").evaluateAll((els) => els.map((e) => ({ name: e.getAttribute("data-section"), count: Number(e.getAttribute("data-count")), heading: e.querySelector("h2 .count")?.textContent, rows: Array.from(e.querySelectorAll(".row[data-category]"), (r) => [r.getAttribute("data-key"), r.getAttribute("data-category")]) })));
    expect(sections.map((s) => s.name)).toEqual(ORDER);
    const expected = (name: string): number =>
      name === "identical-output" ? rv.atoms.filter((a) => a.identicalOutput).length : name === "moved" ? rv.atoms.filter((a) => a.moved).length : rv.counts[name as keyof Review["counts"]];
    for (const s of sections) {
      expect(s.count, s.name ?? "").toBe(expected(s.name ?? ""));
      expect(s.heading, s.name ?? "").toBe(String(s.count));
    }
    for (const s of sections.filter((x) => x.name !== "identical-output" && x.name !== "size-flag" && x.name !== "moved")) {
      const own = s.rows.filter(([, c]) => c === s.name).map(([k]) => k);
      expect(own, s.name ?? "").toEqual(rv.atoms.filter((a) => a.category === s.name).map((a) => a.key));
    }
    // dep-failed rows are grouped under their root in the newly-failing section.
    const failing = page.locator('section[data-section="newly-failing"]');
    expect(await failing.getAttribute("data-dep-failed")).toBe(String(rv.counts["dep-failed"]));
    expect(sections.find((s) => s.name === "newly-failing")?.rows).toEqual([["png", "newly-failing"], ["app", "dep-failed"]]);
    expect(await page.locator('.group:has(> .row[data-key="png"]) .dependents .row[data-key="app"]').count()).toBe(1);
    expect(await page.locator('section[data-section="added"] .row').getAttribute("data-key")).toBe("extra");
    // Still succeeding and unchanged start collapsed.
    expect(await page.locator('section[data-section="unchanged"] > details').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await page.locator('section[data-section="still-succeeding"] > details').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);

    // Expanding the failing atom (from the keyboard) shows its log's tail.
    const png = page.locator('.row[data-key="png"]');
    const log = png.locator("pre.log");
    expect(await log.isVisible()).toBe(false);
    await png.locator("summary").focus();
    await page.keyboard.press("Enter");
    expect(await log.isVisible()).toBe(true);
    expect(await log.textContent()).toBe(rv.logTails[0]);
    expect(await log.textContent()).toContain("error:");
    expect(await png.locator('a[href="logs/png.log"]').count()).toBe(1);

    // The dep-failed row links to its root cause: following it targets png's row.
    const link = page.locator('.row[data-key="app"] a.root');
    expect(await link.textContent()).toBe("png");
    await link.click();
    expect(await page.evaluate(() => location.hash)).toBe("#atom-png");
    expect(await page.evaluate(() => document.querySelector(":target")?.getAttribute("data-key"))).toBe("png");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-key"))).toBe("png");

    // A link into a collapsed section opens it.
    await page.evaluate(() => (location.hash = "#atom-hello"));
    expect(await page.locator('.row[data-key="hello"]').isVisible()).toBe(true);

    const shot = join(tmpdir(), "eka-review-index.png");
    rmSync(shot, { force: true });
    await page.screenshot({ path: shot, fullPage: true });
    const png8 = readFileSync(shot);
    expect(png8.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png8.readUInt32BE(16)).toBe(1100); // IHDR width: the viewport
    expect(png8.length).toBeGreaterThan(20_000);

    // Nothing left file:// (the page itself is the one request), and nothing went wrong.
    expect(requests.length).toBeGreaterThan(0);
    for (const u of requests) expect(u, u).toMatch(/^(file:|data:|https?:\/\/127\.0\.0\.1[:/])/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows what review.json says as text: markup in a log or a message is not markup", async () => {
    const hostile: Review = structuredClone(rv);
    hostile.logTails[0] = `png.c:1: error: </pre><script>window.pwned = 1</script><img src="https://example.invalid/x.png">`;
    const row = hostile.atoms.find((a) => a.key === "png");
    if (row?.failure) row.failure.message = `<b onmouseover="x()">bold</b>`;
    const file = join(out, "hostile.html");
    writeFileSync(file, renderHtml(hostile));
    const { page, requests, errors } = await open(file);
    await page.locator('.row[data-key="png"] summary').click();
    expect(await page.locator('.row[data-key="png"] pre.log').textContent()).toBe(hostile.logTails[0]);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator("main img, main b[onmouseover]").count()).toBe(0);
    for (const u of requests) expect(u, u).toMatch(/^(file:|data:)/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
