// The host runs the seed clang: a two-file C program compiled (cc1 per file, then wasm-ld) with
// relative paths under a cwd, entirely on our host, then run.
import { describe, expect, it } from "vitest";
import { MemoryFS, readFile, runWasi, writeFile } from "../../src/runtime/index.ts";
import { parseJobs, runClang } from "./helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("the seed clang on our host", () => {
  it("compiles and links a multi-file program given relative paths and a cwd", async () => {
    const work = new MemoryFS();
    writeFile(work, "proj/src/greet.h", enc("const char *greet(const char *who);\n"));
    writeFile(work, "proj/src/greet.c", enc('#include <stdio.h>\n#include "greet.h"\nstatic char buf[64];\nconst char *greet(const char *who) { snprintf(buf, sizeof buf, "hello, %s", who); return buf; }\n'));
    writeFile(work, "proj/src/main.c", enc('#include <stdio.h>\n#include "greet.h"\nint main(int argc, char **argv) { puts(greet(argc > 1 ? argv[1] : "nobody")); return 3; }\n'));
    writeFile(work, "tmp/.keep", enc(""));
    const opts = { cwd: "/work/proj", env: { TMPDIR: "/work/tmp" } };
    const plan = await runClang(["clang", "-###", "--target=wasm32-wasip1", "-O0", "-o", "hello.wasm", "src/main.c", "src/greet.c"], work, opts);
    expect(plan.exitCode).toBe(0);
    const jobs = parseJobs(dec(plan.stderr));
    expect(jobs.map((j) => j[0])).toEqual(["clang", "clang", "wasm-ld"]);
    for (const job of jobs) {
      const r = await runClang(job, work, opts);
      expect(dec(r.stderr)).toBe("");
      expect(r.exitCode).toBe(0);
    }
    const wasm = readFile(work, "proj/hello.wasm");
    const run = await runWasi(await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>), { args: ["hello", "eka"] });
    expect([dec(run.stdout), run.exitCode]).toEqual(["hello, eka\n", 3]);
  });
  it("reports clang's own diagnostics and exit status", async () => {
    const work = new MemoryFS();
    writeFile(work, "bad.c", enc("int main(void) { return undeclared; }\n"));
    const plan = await runClang(["clang", "-###", "--target=wasm32-wasip1", "-fsyntax-only", "/work/bad.c"], work);
    const [job] = parseJobs(dec(plan.stderr));
    const r = await runClang(job ?? [], work);
    expect(r.exitCode).toBe(1);
    expect(dec(r.stderr)).toMatch(/bad\.c:1:\d+: error: use of undeclared identifier 'undeclared'/);
  });
});
