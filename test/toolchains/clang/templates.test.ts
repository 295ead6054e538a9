// The driver plan cache (toolchains/clang/templates.ts) lives as long as the process, which in
// `eka daemon` is many builds: a plan whose step was aborted (its client pressed Ctrl-C or went
// away) must not fail the next build with the same flags, nor a concurrent one sharing it.
import { expect, it } from "vitest";
import { EkaError } from "../../../src/errors.ts";
import { runCompileFromTemplate } from "../../../src/toolchains/clang/templates.ts";
import type { ToolResult } from "../../../src/toolchains/hooks.ts";

const enc = new TextEncoder();
const ok = (stderr = ""): ToolResult => ({ exitCode: 0, stdout: new Uint8Array(), stderr: enc.encode(stderr) });
/** What `clang -###` prints for a compile: one cc1 job naming the source and object. */
const plan = (src: string, obj: string) => ok(` "/usr/bin/clang" "-cc1" "-triple" "wasm32-unknown-wasi" "-main-file-name" "${src.slice(src.lastIndexOf("/") + 1)}" "-o" "${obj}" "-x" "c" "${src}"\n`);

it("an aborted plan fails only its own step; the next step with the same flags plans again and compiles", async () => {
  const args = ["-O2", "-c", "/build/src/a.c", "-o", "/build/a.o"];
  const aborted = runCompileFromTemplate("ctx-abort", "clang", args, async () => {
    throw new EkaError("E_ABORTED", "aborted: 'clang' was stopped");
  });
  // The aborted step gets null: its caller then runs the driver with its own runner, which aborts it.
  expect(await aborted.catch((e: unknown) => e)).toBe(null);

  const ran: string[][] = [];
  const next = await runCompileFromTemplate("ctx-abort", "clang", ["-O2", "-c", "/build/src/b.c", "-o", "/build/b.o"], async (argv) => {
    ran.push(argv);
    return argv.includes("-###") ? plan("/build/src/b.c", "/build/b.o") : ok();
  });
  expect(next?.exitCode).toBe(0);
  expect(ran[0]).toContain("-###");
  expect(ran.at(-1)).toEqual(expect.arrayContaining(["-cc1", "/build/src/b.c", "/build/b.o"]));
});
