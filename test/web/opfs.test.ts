// The opfs: store backend in real Chromium, against the conformance cases the other backends run
// (test/store/conformance.test.ts and its named fixtures): each fixture gives the cid and NAR hash
// a memory: store gives in Node; after a reload everything is still there and re-hashes clean; a
// file changed in OPFS behind the store's back is E_CORRUPT_OBJECT; a foreign directory is refused.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestOf, makeStorePath, openStore } from "../../src/store/index.ts";
import { fixtures, memoryFixture } from "../store/fixtures.ts";
import { CHROMIUM, haveChromium, launchChromium } from "../helpers/chromium.ts";

if (!haveChromium) console.warn(`opfs store test skipped: ${CHROMIUM} is absent`);

const page = `<!doctype html><meta charset="utf-8"><script type="module">import * as c from "/c.js"; window.c = c; document.body.dataset.ready = "1";</script>`;

describe.skipIf(!haveChromium)("opfs: store in Chromium", () => {
  let server: Server;
  let browser: Browser;
  let p: Page;
  beforeAll(async () => {
    // fixtures.ts writes host directories with node:fs; the browser only uses its memory trees.
    const stub = {
      name: "no-node",
      setup(b: import("esbuild").PluginBuild) {
        b.onResolve({ filter: /^node:/ }, () => ({ path: "stub", namespace: "stub" }));
        b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export default {};", loader: "js" }));
      },
    };
    const built = await build({ entryPoints: ["test/web/opfs-conformance.ts"], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent", plugins: [stub] });
    const js = built.outputFiles[0]?.text ?? "";
    server = createServer((req, res) => {
      if (req.url === "/c.js") res.writeHead(200, { "content-type": "text/javascript" }).end(js);
      else res.writeHead(200, { "content-type": "text/html" }).end(page);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    browser = await launchChromium();
    p = await (await browser.newContext()).newPage();
    await p.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await p.waitForFunction(() => document.body.dataset.ready);
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });
  const call = <T>(fn: string, arg?: string) => p.evaluate(([f, a]) => (window as unknown as { c: Record<string, (x?: string) => Promise<unknown>> }).c[f as string]!(a), [fn, arg] as const) as Promise<T>;

  it("passes the conformance cases, each fixture with the cid and NAR hash of a memory: store; a reload keeps it all", async () => {
    const got = await call<{ fixtures: Record<string, unknown> }>("conformance", "conf");
    const want: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(fixtures)) {
      const s = await openStore("memory:");
      const cid = s.addTree(await memoryFixture(f));
      const pid = digestOf(new TextEncoder().encode(name));
      const info = s.register({ storePath: makeStorePath(pid, "fixture"), cid, pid });
      want[name] = { cid, narHash: info.narHash, narSize: info.narSize, storePath: info.storePath };
    }
    expect(got.fixtures).toEqual(want);
    await p.reload();
    await p.waitForFunction(() => document.body.dataset.ready);
    const again = await call<{ fixtures: Record<string, unknown>; gc: { kept: string[]; junkGone: boolean } }>("reopened", "conf");
    expect(again.fixtures).toEqual(want);
    expect(again.gc.junkGone).toBe(true);
    expect(again.gc.kept).toHaveLength(2);
  });

  it("re-hashes on read: an object changed in OPFS is E_CORRUPT_OBJECT naming it", async () => {
    const msg = await call<string>("corrupt", "conf");
    expect(msg).toMatch(/^E_CORRUPT_OBJECT: .*6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85/);
  });

  it("refuses a directory that is not an eka store", async () => {
    expect(await call<string>("notAStore")).toBe("E_NOT_A_STORE");
  });
});
