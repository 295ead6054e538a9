// The `eka web` page in Chromium against the same work in Node, in one run:
//  - seed: the page's first load of the seed (downloaded from the local `eka web` server, hashed,
//    compiled with compileStreaming, imported) in a fresh browser context, against a reload that
//    takes it from Cache Storage;
//  - cold: a build of examples/hello into an empty store with the seed loaded (the page: a fresh
//    opfs: store; Node: in-process buildPrepared into a fresh file store holding only the seed,
//    the worker pool and its seed compile included, as `eka build` pays them);
//  - warm: a rebuild after an edit of hello.c (its compile and the link rerun; Node in the same
//    process, pool warm), and a no-op rebuild.
// Goal: page ≤ 1.2× Node. EKA_BENCH_ROUNDS (default 3); EKA_BENCH_PARTS=seed,cold,warm picks parts.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { ensureSeed } from "../src/bootstrap/seed.node.ts";
import { buildPrepared, prepareAtom } from "../src/cli/atoms.ts";
import { openStore } from "../src/store/index.node.ts";
import { serveSite, webSite } from "../src/web/site.node.ts";
import { haveChromium, launchChromium } from "../test/helpers/chromium.ts";
import { benchPart } from "./spawn-timing.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = Number(process.env.EKA_BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (ms: number) => `${Math.round(ms)} ms`;

export async function run(): Promise<void> {
  if (!haveChromium) {
    console.log("  skipped: no Chromium (apt-get install chromium)");
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), "eka-web-bench-"));
  process.env.EKA_CACHE = join(tmp, "cache");
  const { server, url } = await serveSite(await webSite());
  const browser = await launchChromium();
  try {
    if (benchPart("seed")) await seedLoad(browser, url);
    if (benchPart("cold") || benchPart("warm")) await builds(browser, url, tmp);
  } finally {
    await browser.close();
    server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function seedLoad(browser: Browser, url: string): Promise<void> {
  const first: number[] = [];
  const cached: number[] = [];
  const firstReady: number[] = [];
  const cachedReady: number[] = [];
  const parts: Record<string, number>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    let t = performance.now();
    await page.goto(`${url}?store=memory:`);
    const a = await ready(page);
    firstReady.push(performance.now() - t);
    if (a.fromCache.wasm) throw new Error("a fresh context found the seed cached");
    first.push(a.ms.total);
    t = performance.now();
    await page.reload();
    const b = await ready(page);
    cachedReady.push(performance.now() - t);
    if (!b.fromCache.wasm || !b.fromCache.tar) throw new Error("the reload downloaded the seed again");
    cached.push(b.ms.total);
    parts.push(b.ms);
    await ctx.close();
  }
  console.log(`  seed load, first visit (download + verify + compile + import): ${fmt(median(first))} (page ready ${fmt(median(firstReady))})`);
  console.log(`  seed load, from Cache Storage:                              ${fmt(median(cached))} (page ready ${fmt(median(cachedReady))}); ${(median(first) / median(cached)).toFixed(2)}× faster`);
  const last = parts[parts.length - 1] ?? {};
  console.log(`    (cached, last round: ${Object.entries(last).map(([k, v]) => `${k} ${fmt(v)}`).join(", ")})`);
}

async function builds(browser: Browser, url: string, tmp: string): Promise<void> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const webCold: number[] = [];
  const webWarm: number[] = [];
  const webNoop: number[] = [];
  const nodeCold: number[] = [];
  const nodeWarm: number[] = [];
  const nodeNoop: number[] = [];
  const src = readFileSync(join(ROOT, "examples/hello/src/hello.c"), "utf8");
  for (let i = 0; i < ROUNDS; i++) {
    // The page: a fresh store per round, the seed from the cache (loaded before the clock starts).
    await page.goto(`${url}?store=opfs:bench-${i}&atom=hello`);
    await ready(page);
    await page.evaluate(() => localStorage.clear());
    webCold.push(await pageBuild(page));
    await page.fill("#code", `${src}/* edit ${i} */\n`);
    webWarm.push(await pageBuild(page));
    webNoop.push(await pageBuild(page, true));

    // Node, in this process: a fresh file store holding the seed, then the same three builds.
    const dir = join(tmp, `hello-${i}`);
    cpSync(join(ROOT, "examples/hello"), dir, { recursive: true });
    const store = await openStore(`file://${join(tmp, `store-${i}`)}`);
    await ensureSeed(store);
    const time = async () => {
      const t = performance.now();
      await buildPrepared(await prepareAtom(dir, {}), { store });
      return performance.now() - t;
    };
    nodeCold.push(await time());
    writeFileSync(join(dir, "src/hello.c"), `${src}/* edit ${i} */\n`);
    nodeWarm.push(await time());
    nodeNoop.push(await time());
    store.close();
  }
  await ctx.close();
  const row = (what: string, w: number[], n: number[]) => console.log(`  ${what.padEnd(34)} page ${fmt(median(w)).padStart(8)}   node ${fmt(median(n)).padStart(8)}   ${(median(w) / median(n)).toFixed(2)}×`);
  console.log(`  examples/hello, median of ${ROUNDS} (goal page ≤ 1.2× node):`);
  if (benchPart("cold")) row("cold build (seed cached)", webCold, nodeCold);
  if (benchPart("warm")) {
    row("rebuild after an edit of hello.c", webWarm, nodeWarm);
    row("no-op rebuild", webNoop, nodeNoop);
  }
}

async function ready(page: Page): Promise<{ fromCache: { wasm: boolean; tar: boolean }; ms: Record<string, number> & { total: number } }> {
  await page.waitForFunction(() => document.body.dataset.ready, undefined, { timeout: 300_000 });
  const seed = await page.evaluate(() => (window as unknown as { ekaSeed?: unknown }).ekaSeed);
  if (!seed) throw new Error(`the page did not load the seed: ${await page.textContent("#status")}`);
  return seed as { fromCache: { wasm: boolean; tar: boolean }; ms: Record<string, number> & { total: number } };
}

/** One build through the page's Ctrl-Enter; the worker's own time from the result. */
async function pageBuild(page: Page, noop = false): Promise<number> {
  const n = await page.evaluate(() => Number(document.body.dataset.builds ?? 0));
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction((k) => Number(document.body.dataset.builds ?? 0) > k, n, { timeout: 300_000 });
  const r = JSON.parse((await page.textContent("#eka-result")) ?? "null") as { built: boolean; ms: number } | null;
  if (!r || r.built === noop) throw new Error(`unexpected build result: ${JSON.stringify(r)} ${await page.textContent("#terminal")}`);
  return r.ms;
}
