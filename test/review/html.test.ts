// index.html in real Chromium, opened from file:// the way a person opens a CI artifact: a review
// of a change that breaks png (app depends on it) and adds an atom, built with the real seed. The
// page must agree with review.json section by section, in the order, open a failing
// atom's log from the keyboard, link a dep-failed row to its root, fetch nothing and log no
// error. A screenshot is left in the OS temp dir (eka-review-index.png) for a person to look at.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, type Page } from "playwright-core";
import { CHROMIUM, haveChromium, launchChromium } from "../helpers/chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../../src/review/html.ts";
import { makeReview } from "../../src/review/report.ts";
import type { AtomRow, Review, Side } from "../../src/review/types.ts";
import { helloToml, makeFixture, PNG_C, type Fixture } from "./helpers.ts";

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
  browser = await launchChromium();
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

  it("shows every other section too: identical output, size flags with dependency and file changes, evaluation errors, still failing, moved", async () => {
    const side = (status: Side["status"], size = 1000): Side => ({ version: "1.0.0", dir: "x", pid: "0".repeat(64), storePath: "/nix/store/x", status, cid: "c", narSize: size, closureSize: size });
    const row = (key: string, category: AtomRow["category"], more: Partial<AtomRow> = {}): AtomRow => ({ key, id: key, host: "wasm32-wasip1", change: "changed", category, base: side("cached"), head: side("built"), reasons: [{ kind: "version", from: "1.0.0", to: "1.0.1" }], blastRadius: 0, moved: null, identicalOutput: false, size: null, deps: [], closureAdded: null, files: [], failure: null, evaluationError: null, notBuilt: null, ...more });
    const failure = (root: string) => ({ root, package: `${root}-1.0.0`, storePath: `/nix/store/${root}`, code: "E_BUILD_FAILED", message: "failed" });
    const size = { nar: { base: 1000, head: 200_000, delta: 199_000 }, closure: { base: 5000, head: 300_000, delta: 295_000 }, flagged: true };
    const rows = [
      row("same", "still-succeeding", { identicalOutput: true, reasons: [{ kind: "dependency", atom: "z", chain: "same ← z 1.3→1.3.1", root: { kind: "version", from: "1.3", to: "1.3.1" } }] }),
      row("big", "still-succeeding", { size, deps: [{ change: "U", name: "zlib", from: "1.3.0", to: "1.3.1", addedSize: 4096 }, { change: "A", name: "libx", from: null, to: "1.0", addedSize: 70_000 }], closureAdded: 74_096, files: [{ path: "lib/libbig.a", change: "modified", base: 1000, head: 200_000, diff: "@@ -1 +1 @@\n-old\n+new\n" }] }),
      row("broken", "evaluation-error", { change: "evaluation-error", head: null, reasons: [], evaluationError: { dir: "libs/broken", code: "E_MANIFEST_SYNTAX", message: "libs/broken/atom.toml:3: expected ']'" } }),
      row("old", "still-failing", { base: side("failed"), head: side("failed"), failure: failure("old") }),
      row("needs-old", "dep-failed", { head: side("dep-failed"), failure: failure("old") }),
      row("moved", "unchanged", { change: "unchanged", reasons: [], moved: { from: "a/moved", to: "b/moved" } }),
    ];
    const rv2 = makeReview({ base: { rev: "main", commit: "a".repeat(40) }, head: { rev: "pr", commit: "b".repeat(40) }, options: rv.options, rows, logs: new Map([["old", "cc old.c\nold.c:1: error: nope"]]) });
    const file = join(out, "sections.html");
    writeFileSync(file, renderHtml(rv2));
    const { page, requests, errors } = await open(file);
    expect(await page.locator("#verdict").textContent()).toBe("✗ not merge-safe (1 evaluation error, 1 size flag)");
    const counts = Object.fromEntries(await page.locator("main > section").evaluateAll((els) => els.map((e) => [e.getAttribute("data-section"), Number(e.getAttribute("data-count"))])));
    expect(counts).toMatchObject({ "evaluation-error": 1, "newly-failing": 0, "identical-output": 1, "size-flag": 1, "still-failing": 1, "still-succeeding": 2, unchanged: 1, moved: 1 });
    expect(await page.locator('section[data-section="newly-failing"]').getAttribute("data-dep-failed")).toBe("1");
    // Every in-page link has a target.
    const hrefs = await page.locator('a[href^="#"]').evaluateAll((as) => as.map((a) => a.getAttribute("href")?.slice(1) ?? ""));
    expect(hrefs.length).toBeGreaterThan(5);
    for (const h of hrefs) expect(await page.locator(`[id="${decodeURIComponent(h)}"]`).count(), h).toBe(1);
    // The size flag's link opens the collapsed still-succeeding section at "big", showing its size, dependencies and files.
    await page.locator('section[data-section="size-flag"] a[href="#atom-big"]').click();
    const big = page.locator('.row[data-key="big"]');
    expect(await big.isVisible()).toBe(true);
    const text = await big.innerText();
    expect(text).toContain("[U] zlib 1.3.0→1.3.1 (+4.0 KiB)");
    expect(text).toContain("[A] libx (+68 KiB)");
    expect(text).toContain("closure +72 KiB");
    expect(text).toMatch(/package\s+1000 B\s+195 KiB\s+\+194 KiB/);
    expect(text).toContain("lib/libbig.a");
    expect(await big.locator("pre.diff .add").textContent()).toBe("+new");
    // A dep-failed row whose root still fails links to it in the still-failing section.
    await page.locator('.row[data-key="needs-old"] a.root').click();
    expect(await page.evaluate(() => document.querySelector(":target")?.closest("section")?.getAttribute("data-section"))).toBe("still-failing");
    await page.locator('.row[data-key="old"] summary').click();
    expect(await page.locator('.row[data-key="old"] pre.log').textContent()).toBe("cc old.c\nold.c:1: error: nope");
    await page.locator('.row[data-key="broken"] summary').click();
    expect(await page.locator('.row[data-key="broken"] pre.msg').textContent()).toContain("expected ']'");
    await page.screenshot({ path: join(tmpdir(), "eka-review-sections.png"), fullPage: true });
    for (const u of requests) expect(u, u).toMatch(/^(file:|data:)/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
