// The process model: args, env, cwd, stdio, exit codes, traps, missing imports, limits.
import { beforeAll, describe, expect, it } from "vitest";
import { isEkaError } from "../../src/errors.ts";
import { MemoryFS, WasiHost, runWasi, writeFile } from "../../src/runtime/index.ts";
import { WASI_IMPORTS, probeModule, runProbe, wat } from "./helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

beforeAll(async () => {
  await probeModule();
}, 300_000);

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isEkaError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a rejection");
}

describe("process model", () => {
  it("passes args and env; the guest sees nothing else", async () => {
    const r = await runProbe(["args", "two words", "ü"], new MemoryFS(), undefined, { env: { A: "1", B: "x=y" } });
    expect(r.text).toBe("arg0=probe\narg1=args\narg2=two words\narg3=ü\nenv=A=1\nenv=B=x=y\n");
  });
  it("the exit code is the guest's", async () => {
    expect((await runProbe(["exit", "42"], new MemoryFS())).exitCode).toBe(42);
    expect((await runProbe(["exit", "0"], new MemoryFS())).exitCode).toBe(0);
    expect((await runProbe(["nope"], new MemoryFS())).exitCode).toBe(2);
  });
  it("stdin from bytes or from a reader; stdout to a callback as it is written", async () => {
    const a = await runProbe(["stdin"], new MemoryFS(), undefined, { stdin: enc("hello\n") });
    expect(a.values.stdin_bytes).toBe("6");
    let fed = 0;
    const chunks: string[] = [];
    const b = await runProbe(["stdin"], new MemoryFS(), undefined, {
      stdin: (buf) => {
        if (fed >= 3) return 0;
        fed++;
        buf.set(enc("abcd"));
        return 4;
      },
      stdout: (c) => chunks.push(dec(c)),
    });
    expect(chunks.join("")).toBe("stdin_bytes=12\n");
    expect(b.stdout.length).toBe(0);
  });
  it("stdio looks like a pipe unless tty says it is a terminal (what isatty() checks)", () => {
    const fdstat = (tty?: { stdout?: boolean }) => {
      const host = new WasiHost({ args: ["t"], ...(tty ? { tty } : {}) });
      const memory = new WebAssembly.Memory({ initial: 1 });
      host.setMemory(memory);
      const call = (host.imports.wasi_snapshot_preview1 as Record<string, (...a: number[]) => number>).fd_fdstat_get as (...a: number[]) => number;
      expect(call(1, 64)).toBe(0);
      const dv = new DataView(memory.buffer);
      return { filetype: dv.getUint8(64), seek: (dv.getBigUint64(72, true) & 4n) !== 0n };
    };
    expect(fdstat()).toEqual({ filetype: 0, seek: false });
    expect(fdstat({ stdout: true })).toEqual({ filetype: 2, seek: false });
  });
  it("cwd makes relative paths resolve inside it and sets PWD", async () => {
    const sb = new MemoryFS();
    writeFile(sb, "proj/src/in.txt", enc("relative works"));
    const r = await runProbe(["cat", "src/in.txt"], sb, undefined, { cwd: "/sb/proj" });
    expect(r.text).toBe("relative works");
    const abs = await runProbe(["cat", "/sb/proj/src/in.txt"], sb, undefined, { cwd: "/sb/proj" });
    expect(abs.text).toBe("relative works");
    const pwd = await runProbe(["misc"], sb, undefined, { cwd: "/sb/proj" });
    expect(pwd.values.pwd).toBe("/sb/proj");
    const err = await rejection(runProbe(["misc"], sb, undefined, { cwd: "/elsewhere" }));
    expect(err.code).toBe("E_WASI_CWD");
    expect((await rejection(runProbe(["misc"], sb, undefined, { cwd: "/sb/missing" }))).code).toBe("E_WASI_CWD");
    const pre = await rejection(runWasi(await probeModule(), { args: ["p"], preopens: [{ guest: "/x", fs: sb, path: "no/such" }] }));
    expect(pre).toMatchObject({ code: "E_WASI_PREOPEN" });
    expect(pre.message).toContain("/x");
  });
});

describe("failures are EkaErrors, never raw host stacks", () => {
  it("a trap names the trap and the function from the name section", async () => {
    const mod = await wat(`(module ${WASI_IMPORTS}
      (memory (export "memory") 1)
      (func $divide_things (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
      (func $main (export "_start") (drop (call $divide_things (i32.const 0)))))`);
    const e = await rejection(runWasi(mod, { args: ["t"] }));
    expect(e.code).toBe("E_WASM_TRAP");
    expect(e.message).toMatch(/divide by zero/);
    expect(e.message).toMatch(/in function divide_things/);
  });
  it("unbounded recursion is a trap too", async () => {
    const mod = await wat(`(module (memory (export "memory") 1)
      (func $forever (call $forever)) (func (export "_start") (call $forever)))`);
    const e = await rejection(runWasi(mod, { args: ["t"] }));
    expect(e.code).toBe("E_WASM_TRAP");
    expect(e.message).toMatch(/forever/);
  });
  it("imports we do not provide are named", async () => {
    const mod = await wat(`(module
      (import "env" "magic" (func (param i32)))
      (import "wasi_snapshot_preview1" "fd_frobnicate" (func))
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1) (func (export "_start")))`);
    const e = await rejection(runWasi(mod, { args: ["t"] }));
    expect(e.code).toBe("E_WASM_IMPORT");
    expect(e.message).toContain("env.magic");
    expect(e.message).toContain("wasi_snapshot_preview1.fd_frobnicate");
    expect(e.message).not.toContain("fd_write");
  });
  it("output beyond limits.maxOutputBytes stops the guest", async () => {
    const mod = await wat(`(module ${WASI_IMPORTS}
      (memory (export "memory") 1)
      (data (i32.const 16) "0123456789")
      (func (export "_start") (loop $l
        (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 10))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br $l))))`);
    const e = await rejection(runWasi(mod, { args: ["t"], limits: { maxOutputBytes: 1000 } }));
    expect(e.code).toBe("E_WASM_OUTPUT_LIMIT");
  });
  it("memory beyond limits.maxMemoryBytes stops the guest at its next syscall", async () => {
    const mod = await wat(`(module ${WASI_IMPORTS}
      (memory (export "memory") 1)
      (func (export "_start")
        (drop (memory.grow (i32.const 100)))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))))`);
    const e = await rejection(runWasi(mod, { args: ["t"], limits: { maxMemoryBytes: 4 << 20 } }));
    expect(e.code).toBe("E_WASM_MEMORY_LIMIT");
    const ok = await runWasi(mod, { args: ["t"], limits: { maxMemoryBytes: 16 << 20 } });
    expect(ok.exitCode).toBe(0);
    const big = await wat(`(module (memory (export "memory") 200) (func (export "_start") unreachable))`);
    expect((await rejection(runWasi(big, { args: ["t"], limits: { maxMemoryBytes: 4 << 20 } }))).code).toBe("E_WASM_MEMORY_LIMIT");
  });
});
