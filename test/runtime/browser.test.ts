// The core (runtime + VFS) bundles for the browser with no node: module, and the bundle runs a
// WASI program — the probe compiled by the seed clang — in real Chromium, with the same output
// as in Node.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { type Browser } from "playwright-core";
import { CHROMIUM, haveChromium, launchChromium } from "../helpers/chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryFS } from "../../src/runtime/index.ts";
import { probeWasm, runProbe } from "./helpers.ts";

if (!haveChromium) console.warn(`browser bundle test skipped: ${CHROMIUM} is absent`);

const page = `<!doctype html><meta charset="utf-8"><script type="module">
import { runWasi, MemoryFS } from "/runtime.js";
const bytes = await (await fetch("/probe.wasm")).arrayBuffer();
const module = await WebAssembly.compile(bytes);
const out = {};
for (const group of ["args", "files"]) {
  const r = await runWasi(module, { args: ["probe", group], env: { A: "1" }, preopens: [{ guest: "/sb", fs: new MemoryFS() }, { guest: "/other", fs: new MemoryFS() }] });
  out[group] = { exitCode: r.exitCode, stdout: new TextDecoder().decode(r.stdout) };
}
window.result = out;
</script>`;

describe.skipIf(!haveChromium)("browser bundle", () => {
  let bundle: string;
  let server: Server;
  let browser: Browser;
  let base: string;
  beforeAll(async () => {
    const probeBytes = await probeWasm();
    const built = await build({ entryPoints: ["src/runtime/index.ts"], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent" });
    bundle = built.outputFiles[0]?.text ?? "";
    server = createServer((req, res) => {
      if (req.url === "/runtime.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      else if (req.url === "/probe.wasm") res.writeHead(200, { "content-type": "application/wasm" }).end(probeBytes);
      else if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(page);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("imports no node: module", () => {
    expect(bundle.length).toBeGreaterThan(10_000);
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it("runs the probe in Chromium with the same output as in Node", async () => {
    const p = await browser.newPage();
    const errors: string[] = [];
    p.on("pageerror", (e) => errors.push(String(e)));
    await p.goto(base);
    await p.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 }).catch(() => {
      throw new Error(`the page did not finish: ${errors.join("\n")}`);
    });
    const got = (await p.evaluate(() => (window as unknown as { result: unknown }).result)) as Record<string, { exitCode: number; stdout: string }>;
    expect(got.args).toEqual({ exitCode: 0, stdout: "arg0=probe\narg1=args\nenv=A=1\n" });
    const node = await runProbe(["files"], new MemoryFS());
    expect(got.files?.exitCode).toBe(0);
    expect(got.files?.stdout).toBe(node.text);
    expect(got.files?.stdout).toContain("loop=32");
  });
});
