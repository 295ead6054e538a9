// `eka cc` end to end: the real seed clang on eka's WASI host, real files in a temp directory, the
// CLI run as a user runs it (bin/eka.js), the outputs run on eka's host.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eka } from "./eka-cli.ts";
import { runWasi } from "../../../src/runtime/index.ts";
import { compileModule } from "../../../src/runtime/modules.ts";

const root = join(import.meta.dirname, "../../..");
const fixtures = join(import.meta.dirname, "../fixtures/multi");


/** Runs a wasm command on eka's host. */
async function runGuest(file: string, args: string[]): Promise<{ exitCode: number; stdout: string }> {
  const { module } = await compileModule(readFileSync(file));
  const r = await runWasi(module, { args: ["prog", ...args], env: {}, preopens: [] });
  return { exitCode: r.exitCode, stdout: new TextDecoder().decode(r.stdout) };
}

/** The feature names a wasm object or module declares in its `target_features` section. */
function targetFeatures(bytes: Uint8Array): string[] {
  let i = 8;
  const leb = (): number => {
    let r = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[i++] as number;
      r |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return r >>> 0;
  };
  const str = (): string => {
    const n = leb();
    const s = new TextDecoder().decode(bytes.subarray(i, i + n));
    i += n;
    return s;
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    const end = i + size;
    if (id === 0 && str() === "target_features") {
      const out: string[] = [];
      for (let n = leb(); n > 0; n--) {
        const prefix = String.fromCharCode(bytes[i++] as number);
        out.push(prefix + str());
      }
      return out;
    }
    i = end;
  }
  return [];
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const EXPECTED = "total area x100 = 4656\nargc=2 first=x\nhello from seed\n";

describe("eka cc (seed clang on eka's host)", () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eka-cc-test-"));
    cpSync(fixtures, dir, { recursive: true });
    // Two sources in one command, one with -o, then a link: the shape of a real build.
    const a = await eka(["cc", "-O2", "-c", "area.c", "greet.c"], dir);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const b = await eka(["cc", "-O2", "-c", "main.c", "-o", "main.o"], dir);
    expect(b.code).toBe(0);
    const c = await eka(["cc", "-o", "prog.wasm", "main.o", "area.o", "greet.o"], dir);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("builds a multi-file C program from separate -c compiles and a link, and it runs", async () => {
    expect(await runGuest(join(dir, "prog.wasm"), ["x"])).toEqual({ exitCode: 3, stdout: EXPECTED });
  });

  it("builds outputs that Node 20 loads: no extended-const in eka's objects", async () => {
    const prog = readFileSync(join(dir, "prog.wasm"));
    await expect(WebAssembly.compile(prog)).resolves.toBeInstanceOf(WebAssembly.Module);
    const features = targetFeatures(readFileSync(join(dir, "area.o")));
    expect(features).toContain("+sign-ext");
    expect(features).not.toContain("+extended-const");
  });

  it.skipIf(!existsSync(CHROMIUM))("builds outputs that Chromium loads", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const bytes = [...readFileSync(join(dir, "prog.wasm"))];
      const result = await page.evaluate(async (b) => {
        try {
          await WebAssembly.compile(new Uint8Array(b));
          return "ok";
        } catch (e) {
          return String(e);
        }
      }, bytes);
      expect(result).toBe("ok");
    } finally {
      await browser.close();
    }
  });

  it("compiles several sources at once on the worker pool: the same bytes as one at a time, diagnostics in source order", async () => {
    const sub = join(dir, "par");
    cpSync(fixtures, sub, { recursive: true });
    const one = await eka(["cc", "-O2", "-c", "main.c"], sub);
    expect(one.code).toBe(0);
    const mainAlone = readFileSync(join(sub, "main.o"));
    rmSync(join(sub, "main.o"));
    const r = await eka(["cc", "-O2", "-c", "main.c", "area.c", "greet.c"], sub);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(readFileSync(join(sub, "main.o")).equals(mainAlone)).toBe(true);
    expect(readFileSync(join(sub, "area.o")).equals(readFileSync(join(dir, "area.o")))).toBe(true);
    // Broken sources: each one's errors, in the order given, and the good one still compiled.
    writeFileSync(join(sub, "bad1.c"), "int f(void) { return undeclared_one; }\n");
    writeFileSync(join(sub, "bad2.c"), "int g(void) { return undeclared_two; }\n");
    rmSync(join(sub, "area.o"));
    const bad = await eka(["cc", "-c", "bad1.c", "area.c", "bad2.c"], sub);
    expect(bad.code).toBe(1);
    expect(bad.stderr.indexOf("undeclared_one")).toBeGreaterThanOrEqual(0);
    expect(bad.stderr.indexOf("undeclared_one")).toBeLessThan(bad.stderr.indexOf("undeclared_two"));
    expect(existsSync(join(sub, "area.o"))).toBe(true);
  });

  it("takes absolute host paths and paths above the current directory", async () => {
    const sub = join(dir, "sub");
    mkdirSync(sub);
    const out = join(dir, "abs.wasm");
    const r = await eka(["cc", "-O1", "-o", out, join(dir, "main.c"), "../area.c", "../greet.c"], sub);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await runGuest(out, ["x"])).toEqual({ exitCode: 3, stdout: EXPECTED });
  });

  it("makes static libraries with eka ar and links them", async () => {
    expect((await eka(["ar", "rcs", "libshapes.a", "area.o", "greet.o"], dir)).code).toBe(0);
    const r = await eka(["cc", "-o", "lib.wasm", "main.o", "-L.", "-lshapes"], dir);
    expect(r.stderr).toBe("");
    expect(await runGuest(join(dir, "lib.wasm"), ["x"])).toEqual({ exitCode: 3, stdout: EXPECTED });
  });

  it("builds C++ with eka c++ (exceptions off, as the sysroot's libc++abi has none)", async () => {
    const r = await eka(["c++", "-O1", "-o", "words.wasm", "words.cpp"], dir);
    expect(r.stderr).toBe("");
    expect(await runGuest(join(dir, "words.wasm"), [])).toEqual({ exitCode: 0, stdout: "clang=1\nseed=3\nwasm=1\n" });
  });

  it("passes clang's diagnostics and exit status through", async () => {
    const r = await eka(["cc", "-c", "broken.c"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^broken\.c:3:14: error: use of undeclared identifier 'undefined_name'/m);
    expect(existsSync(join(dir, "broken.o"))).toBe(false);
  });

  it("reports the jobs it ran with --json", async () => {
    const r = await eka(["cc", "--json", "-c", "greet.c", "-o", "greet-json.o"], dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { exitCode: number; jobs: string[][]; ms: number };
    expect(out.exitCode).toBe(0);
    expect(out.jobs).toHaveLength(1);
    expect(out.jobs[0]?.slice(0, 2)).toEqual(["clang", "-cc1"]);
    expect(out.jobs[0]?.slice(-2)).toEqual(["-target-feature", "-extended-const"]);
    expect(existsSync(join(dir, "greet-json.o"))).toBe(true);
  });

  it("reads a source from stdin with '-'", () => {
    const r = spawnSync(process.execPath, [join(root, "bin/eka.js"), "cc", "-E", "-P", "-DN=6", "-"], { cwd: dir, input: "int n = N * 7;\n", encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("int n = 6 * 7;");
  });

  it("answers clang's own --version and eka's --help", async () => {
    const v = await eka(["cc", "--", "--version"], dir);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^clang version 22\./);
    const h = await eka(["cc", "--help"], dir);
    expect(h.stdout).toContain("eka cc -- --help");
  });
});
