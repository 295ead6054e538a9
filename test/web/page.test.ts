// The `eka web` page in real Chromium: builds examples/hello and the greet pair in the tab and
// gets the pid, store path and cid `eka build --json` gives in Node; runs them; a reload keeps the
// store (a rebuild is a no-op) and the seed (from Cache Storage); an edit reruns only its compile;
// a syntax error is shown at its line; a tampered cached seed is refused; a build moves between
// the tab's store and a Node store in `eka store export` format, both ways. One browser context
// and page for all of it: loading the seed is the big cost. Screenshots go to the OS temp dir
// (eka-web-*.png).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveSite, webSite } from "../../src/web/site.node.ts";
import { CHROMIUM, haveChromium, launchChromium } from "../helpers/chromium.ts";

if (!haveChromium) console.warn(`web page test skipped: ${CHROMIUM} is absent`);

const root = join(__dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "eka-web-test-"));
const env = { ...process.env, EKA_CACHE: join(tmp, "cache"), EKA_STORE: `file://${join(tmp, "store")}`, EKA_DAEMON: "off", EKA_WORKERS: "1" };

interface Shown {
  atom: string;
  version: string;
  pid: string;
  storePath: string;
  cid: string;
  built: boolean;
  stepsRun: string[];
  stepsCached: string[];
}

/** `eka ARGS…` in Node (async: a build takes seconds), its stdout. */
function eka(args: string[], stdin?: Uint8Array): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, "bin/eka.js"), ...args], { env, cwd: root });
    const out: Buffer[] = [];
    let err = "";
    p.stdout.on("data", (b: Buffer) => out.push(b));
    p.stderr.on("data", (b: Buffer) => (err += b));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
    p.stdin.end(stdin);
  });
}

async function nodeBuild(atom: string): Promise<{ pid: string; storePath: string; cid: string }> {
  const r = await eka(["build", `examples/${atom}`, "--json", "--no-progress", "--frozen"]);
  if (r.code !== 0) throw new Error(`eka build ${atom}: ${r.stderr}`);
  const [res] = (JSON.parse(r.stdout.toString()) as { results: { pid: string; storePath: string; cid: string }[] }).results;
  if (!res) throw new Error(`eka build ${atom} --json gave no result`);
  return { pid: res.pid, storePath: res.storePath, cid: res.cid };
}

describe.skipIf(!haveChromium)("eka web page", () => {
  let server: Server;
  let url: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  // Started at once; awaited where compared, so Node builds while Chromium loads the seed.
  let node: Promise<Record<string, { pid: string; storePath: string; cid: string }>>;

  beforeAll(async () => {
    node = (async () => {
      const hello = await nodeBuild("hello");
      return { hello, "greet-app": await nodeBuild("greet-app") };
    })();
    node.catch(() => {});
    ({ server, url } = await serveSite(await webSite({ store: "opfs:test" })));
    browser = await launchChromium();
    ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const ready = async () => {
    await page.waitForFunction(() => document.body.dataset.ready, undefined, { timeout: 120_000 });
    return page.evaluate(() => ({ ready: document.body.dataset.ready, status: document.getElementById("status")?.textContent ?? "", seed: (window as unknown as { ekaSeed?: { fromCache: { wasm: boolean; tar: boolean } } }).ekaSeed }));
  };
  const count = (k: "builds" | "runs") => page.evaluate((key) => Number(document.body.dataset[key] ?? 0), k);
  const build = async (atom: string): Promise<Shown> => {
    await page.selectOption("#atom", atom);
    const n = await count("builds");
    const before = await page.textContent("#eka-result");
    await page.keyboard.press("Control+Enter");
    await page.waitForFunction((k) => Number(document.body.dataset.builds ?? 0) > k, n, { timeout: 120_000 });
    const after = await page.textContent("#eka-result");
    if (after === before && (await page.evaluate(() => document.body.dataset.lastError))) throw new Error(`build failed: ${await page.textContent("#terminal")}`);
    return JSON.parse(after ?? "null") as Shown;
  };
  const run = async (stdin = ""): Promise<string> => {
    await page.fill("#stdin", stdin);
    const n = await count("runs");
    await page.click("#run");
    await page.waitForFunction((k) => Number(document.body.dataset.runs ?? 0) > k, n, { timeout: 60_000 });
    return (await page.textContent("#terminal")) ?? "";
  };
  const edit = async (file: string, text: string) => {
    await page.click(`#files a[data-file="${file}"]`);
    await page.fill("#code", text);
  };

  it("builds hello and the greet pair in the tab with Node's pid, store path and cid, and runs them", async () => {
    await page.goto(`${url}?atom=hello`);
    const first = await ready();
    expect(first.ready, first.status).toBe("yes");
    expect(first.seed?.fromCache).toEqual({ wasm: false, tar: false });
    const hello = await build("hello");
    expect(hello.built).toBe(true);
    const out = await run();
    expect(out).toContain("Hello from eka! (hello 1.0.0)");
    expect(out).toContain("[exit 0");
    const app = await build("greet-app");
    expect(app.atom).toBe("greet-app");
    const appOut = await run();
    expect(appOut).toContain("[exit 0");
    await page.screenshot({ path: join(tmpdir(), "eka-web-built.png"), fullPage: true });
    const n = await node;
    for (const [name, r] of [["hello", hello], ["greet-app", app]] as const) {
      expect({ pid: r.pid, storePath: r.storePath, cid: r.cid }, name).toEqual(n[name]);
    }
    // The program's bytes on stdout are Node's too.
    const nodeRun = await eka(["run", "examples/greet-app", "--frozen"]);
    expect(appOut).toContain(nodeRun.stdout.toString().trim());
    expect(errors).toEqual([]);
  }, 300_000);

  it("after a reload the store and the seed are still there: the rebuild is a no-op, nothing downloaded", async () => {
    await page.reload();
    const again = await ready();
    expect(again.seed?.fromCache).toEqual({ wasm: true, tar: true });
    const hello = await build("hello");
    expect(hello.built).toBe(false);
    expect(hello.stepsRun).toEqual([]);
    const rows = await page.$$eval("#store tbody tr td:first-child", (tds) => tds.map((td) => td.textContent ?? ""));
    expect(rows.some((r) => r.startsWith(hello.storePath))).toBe(true);
  }, 180_000);

  it("an edited source reruns only its own compile (and the link)", async () => {
    const toml = (await page.evaluate(() => JSON.parse(localStorage.getItem("eka-web-files-v1") ?? "null"))) as Record<string, string> | null;
    const files = toml ?? ((await (await fetch(`${url}examples.json`)).json()) as { files: Record<string, string> }).files;
    // A second source file makes the point: hello.c's compile stays cached.
    page.once("dialog", (d) => void d.accept("src/extra.c"));
    await page.selectOption("#atom", "hello");
    await page.click("#new-file");
    await page.fill("#code", "int extra(void) { return 1; }\n");
    await edit("hello/atom.toml", (files["hello/atom.toml"] as string).replace('sources = ["hello.c"]', 'sources = ["hello.c", "extra.c"]'));
    const two = await build("hello");
    expect(two.built).toBe(true);
    expect(two.stepsRun.sort()).toEqual(["cc:hello/extra.c", "ld:hello"]);
    expect(two.stepsCached).toEqual(["cc:hello/hello.c"]);
    await edit("hello/src/extra.c", "int extra(void) { return 2; }\n");
    const three = await build("hello");
    expect(three.stepsRun.sort()).toEqual(["cc:hello/extra.c", "ld:hello"]);
    expect(three.stepsCached).toEqual(["cc:hello/hello.c"]);
    expect(three.pid).not.toBe(two.pid);
  }, 180_000);

  it("a syntax error is shown at its line in the editor", async () => {
    const src = "#include <stdio.h>\n\nint main(void) {\n  puts(\"hi\")\n  return 0;\n}\n";
    await edit("hello/src/hello.c", src);
    await page.selectOption("#atom", "hello");
    const n = await count("builds");
    await page.keyboard.press("Control+Enter");
    await page.waitForFunction((k) => Number(document.body.dataset.builds ?? 0) > k, n, { timeout: 120_000 });
    expect(await page.evaluate(() => document.body.dataset.lastError)).toBe("E_BUILD_FAILED");
    const problems = await page.$$eval("#problems li", (lis) => lis.map((li) => li.textContent ?? ""));
    expect(problems.some((p) => /^hello\/src\/hello\.c:4:\d+: error: expected ';'/.test(p)), problems.join("\n")).toBe(true);
    expect(await page.textContent("#gutter span.err")).toBe("4");
    expect(await page.textContent("#file-name")).toBe("hello/src/hello.c");
    await page.screenshot({ path: join(tmpdir(), "eka-web-error.png"), fullPage: true });
    // A manifest mistake is shown at its line too.
    await edit("hello/atom.toml", '[atom]\nid = "hello"\nversion = "1.0.0"\nbogus = 1\n');
    await page.keyboard.press("Control+Enter");
    await page.waitForFunction((k) => Number(document.body.dataset.builds ?? 0) > k + 1, n, { timeout: 60_000 });
    expect(await page.textContent("#problems li")).toMatch(/^hello\/atom\.toml:4:1: error:/);
    expect(await page.textContent("#gutter span.err")).toBe("4");
  }, 180_000);

  it("moves builds between the tab's store and a Node store in 'eka store export' format", async () => {
    const n = await node;
    // Tab → Node: the tab's export of greet-app imports into a fresh Node store and verifies.
    page.once("dialog", (d) => void d.accept());
    await page.click("#reset");
    await build("greet-app");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    const file = join(tmp, "from-tab.eka-export");
    await download.saveAs(file);
    const nodeStore = `file://${join(tmp, "other-store")}`;
    const imported = await eka(["--store", nodeStore, "store", "import"], readFileSync(file));
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout.toString()).toContain(n["greet-app"]?.storePath);
    const verify = await eka(["--store", nodeStore, "store", "verify"]);
    expect(verify.code, verify.stdout.toString() + verify.stderr).toBe(0);
    // Node → tab: hello exported from the Node store is taken in by the page's Import.
    const exp = await eka(["store", "export", n.hello?.storePath as string]);
    expect(exp.code, exp.stderr).toBe(0);
    writeFileSync(join(tmp, "hello.eka-export"), exp.stdout);
    await page.setInputFiles("#import", join(tmp, "hello.eka-export"));
    await page.waitForFunction(() => /imported/.test(document.getElementById("status")?.textContent ?? ""), undefined, { timeout: 30_000 });
  }, 180_000);

  it("refuses a tampered seed in Cache Storage, deletes it, and downloads a good one on the next visit", async () => {
    await page.evaluate(async () => {
      const cache = await caches.open("eka-seed-v1");
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        if (res?.headers.get("content-type") !== "application/wasm") continue;
        const bytes = new Uint8Array(await res.arrayBuffer());
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
        await cache.put(req, new Response(bytes, { headers: { "content-type": "application/wasm" } }));
      }
    });
    await page.reload();
    const bad = await ready();
    expect(bad.ready).toBe("failed");
    expect(bad.status).toMatch(/E_HASH_MISMATCH.*llvm\.core\.wasm.*does not match its pin/s);
    expect(await page.textContent("#terminal")).toMatch(/expected: blake3:16b80ffe.*\n.*actual: {3}blake3:.*Cache Storage/s);
    await page.reload();
    const good = await ready();
    expect(good.ready).toBe("yes");
    expect(good.seed?.fromCache.wasm).toBe(false);
  }, 240_000);
});
