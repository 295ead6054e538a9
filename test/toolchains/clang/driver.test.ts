import { describe, expect, it } from "vitest";
import { parseJobLine, runClang, type ToolRunner } from "../../../src/toolchains/clang/driver.ts";

const enc = new TextEncoder();

describe("clang driver emulation", () => {
  it("parses -### job lines: quoting, escapes, the in-process cc1 marker", () => {
    expect(parseJobLine(' "" "clang" "-cc1" "-triple" "wasm32-unknown-wasip1" "-o" "/tmp/a b-1.o" "-x" "c" "a\\"q\\\\.c"')).toEqual([
      "clang", "-cc1", "-triple", "wasm32-unknown-wasip1", "-o", "/tmp/a b-1.o", "-x", "c", 'a"q\\.c',
    ]);
    expect(parseJobLine(' "wasm-ld" "-m" "wasm32" "-o" "x.wasm"')).toEqual(["wasm-ld", "-m", "wasm32", "-o", "x.wasm"]);
  });

  it("runs each planned job in turn, skips the link after a failed compile, passes the status through", async () => {
    const seen: string[][] = [];
    const run: ToolRunner = async (argv) => {
      seen.push(argv);
      if (argv[1] === "-###") {
        const text =
          'clang version 22\nTarget: wasm32\n "" "clang" "-cc1" "-o" "/tmp/a.o" "a.c"\n "" "clang" "-cc1" "-o" "/tmp/b.o" "b.c"\n' +
          ' "" "clang" "-cc1" "-o" "/tmp/c.o" "c.c"\n "wasm-ld" "/tmp/a.o" "/tmp/b.o" "/tmp/c.o"\n';
        return { exitCode: 0, stdout: new Uint8Array(), stderr: enc.encode(text) };
      }
      const failing = argv.includes("b.c");
      return { exitCode: failing ? 1 : 0, stdout: new Uint8Array(), stderr: enc.encode(failing ? "b.c:1:1: error: boom\n" : "") };
    };
    const r = await runClang(["a.c", "b.c", "c.c"], run);
    expect(r.exitCode).toBe(1);
    expect(new TextDecoder().decode(r.stderr)).toBe("b.c:1:1: error: boom\n");
    // c.c still compiles (its diagnostics would show); the link, which needs b.o, does not run.
    expect(seen.map((a) => a.filter((x) => x.endsWith(".c")).join(" "))).toEqual(["a.c b.c c.c", "a.c", "b.c", "c.c"]);
    // eka's default target features are appended to compile jobs only.
    expect(seen[1]?.slice(-2)).toEqual(["-target-feature", "-extended-const"]);
  });

  it("turns C++ exceptions off in compile jobs unless the user chooses", async () => {
    const jobsFor = async (args: string[]): Promise<string[]> => {
      const seen: string[][] = [];
      const run: ToolRunner = async (argv) => {
        seen.push(argv);
        const text = argv[1] === "-###" ? ' "" "clang++" "-cc1" "-fcxx-exceptions" "-fexceptions" "a.cpp"\n' : "";
        return { exitCode: 0, stdout: new Uint8Array(), stderr: enc.encode(text) };
      };
      await runClang(args, run, { driver: "clang++" });
      return seen[1] ?? [];
    };
    expect(await jobsFor(["-c", "a.cpp"])).not.toContain("-fcxx-exceptions");
    expect(await jobsFor(["-fexceptions", "-c", "a.cpp"])).toContain("-fcxx-exceptions");
  });

  it("keeps the user's own CPU choice", async () => {
    const seen: string[][] = [];
    const run: ToolRunner = async (argv) => {
      seen.push(argv);
      const text = argv[1] === "-###" ? ' "" "clang" "-cc1" "-target-cpu" "bleeding-edge" "a.c"\n' : "";
      return { exitCode: 0, stdout: new Uint8Array(), stderr: enc.encode(text) };
    };
    await runClang(["-mcpu=bleeding-edge", "-c", "a.c"], run);
    expect(seen[1]).not.toContain("-extended-const");
  });
});
