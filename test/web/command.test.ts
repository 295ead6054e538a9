// `eka web`: serves the page on 127.0.0.1 with the COOP/COEP headers and the seed, stops on
// SIGINT; `--out DIR` writes the same files as a static folder with a _headers file.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";

const root = join(__dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "eka-web-cmd-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, EKA_CACHE: join(tmp, "cache"), EKA_DAEMON: "off" };

it("serves the page, its config and the pinned seed on 127.0.0.1 with COOP/COEP, and stops on SIGINT", async () => {
  const p = spawn(process.execPath, [join(root, "bin/eka.js"), "web", "--port", "0", "--json"], { env });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    p.stdout.on("data", (b: Buffer) => {
      out += b;
      if (out.includes("\n")) resolve((JSON.parse(out) as { url: string }).url);
    });
    p.on("close", (code) => reject(new Error(`eka web exited ${code}`)));
  });
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await fetch(url);
  expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(page.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
  expect(await page.text()).toContain('id="eka-result"');
  const config = (await (await fetch(`${url}config.json`)).json()) as { seedVersion: string; store: string };
  expect(config.store).toBe("opfs:eka");
  const seed = await fetch(`${url}seed/llvm.core.wasm`, { method: "HEAD" });
  expect(seed.headers.get("content-type")).toBe("application/wasm");
  expect(Number(seed.headers.get("content-length"))).toBe(statSync(join(root, "node_modules/@yowasp/clang/gen/llvm.core.wasm")).size);
  const ex = (await (await fetch(`${url}examples.json`)).json()) as { atoms: { dir: string }[] };
  expect(ex.atoms.map((a) => a.dir)).toEqual(["greet-app", "greet-lib", "hello"]);
  expect((await fetch(`${url}nope`)).status).toBe(404);
  const code = new Promise((r) => p.on("close", r));
  p.kill("SIGINT");
  expect(await code).toBe(0);
}, 60_000);

it("--out writes the page as static files with a _headers file", async () => {
  const out = join(tmp, "site");
  const code = await new Promise((r) => spawn(process.execPath, [join(root, "bin/eka.js"), "web", "--out", out], { env, stdio: "ignore" }).on("close", r));
  expect(code).toBe(0);
  for (const f of ["index.html", "page.js", "worker.js", "config.json", "examples.json", "seed/llvm.core.wasm", "seed/llvm-resources.tar"]) expect(existsSync(join(out, f)), f).toBe(true);
  expect(readFileSync(join(out, "_headers"), "utf8")).toMatch(/^\/\*\n {2}cross-origin-opener-policy: same-origin\n {2}cross-origin-embedder-policy: require-corp\n/);
}, 60_000);
