// `eka wasi run` end to end: the real CLI (node bin/eka.js) spawned on real files.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeWasm } from "./helpers.ts";

const EKA = fileURLToPath(new URL("../../bin/eka.js", import.meta.url));
let dir: string;
let probe: string;

function eka(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [EKA, "wasi", ...args], { cwd: opts.cwd ?? dir, input: opts.input ?? "", encoding: "utf8", env: { ...process.env, ...opts.env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "eka-wasi-cli-"));
  probe = join(dir, "probe.wasm");
  writeFileSync(probe, await probeWasm());
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("eka wasi run", () => {
  it("propagates the guest's exit code and stdout", () => {
    const r = eka(["run", probe, "exit", "42"]);
    expect(r.status).toBe(42);
    const ok = eka(["run", "--env", "A=1", "--env", "INHERITED", "--env", "UNSET_HERE", probe, "--", "args", "-x"], { env: { INHERITED: "yes" } });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(`arg0=${probe}\narg1=args\narg2=-x\nenv=A=1\nenv=INHERITED=yes\n`);
    expect(eka(["run", "--argv0", "clang", probe, "args"]).stdout).toBe("arg0=clang\narg1=args\n");
  });
  it("maps --dir HOST::GUEST, and --dir . makes relative paths work", () => {
    writeFileSync(join(dir, "data.txt"), "from the host");
    expect(eka(["run", "--dir", `${dir}::/sb`, probe, "cat", "/sb/data.txt"]).stdout).toBe("from the host");
    expect(eka(["run", "--dir", ".", "probe.wasm", "cat", "data.txt"]).stdout).toBe("from the host");
    const none = eka(["run", probe, "cat", "data.txt"]);
    expect(none.status).toBe(4);
  });
  it("writes through --dir and refuses writes through --readonly-dir", () => {
    const w = eka(["run", "--dir", `${dir}::/sb`, "--dir", `${dir}::/other`, probe, "readdir"]);
    expect(w.status).toBe(0);
    expect(w.stdout).toContain("libc_entries=42");
    expect(readFileSync(join(dir, "many", "entry-with-a-long-name-07"), "utf8")).toBe("");
    const ro = eka(["run", "--readonly-dir", `${dir}::/sb`, probe, "write", "/sb/new.txt", "x"]);
    expect(ro.stdout).toBe("write_errno=69\n");
    expect(ro.status).toBe(4);
    expect(eka(["run", "--dir", `${dir}::/sb`, probe, "write", "/sb/new.txt", "written"]).status).toBe(0);
    expect(readFileSync(join(dir, "new.txt"), "utf8")).toBe("written");
    expect(eka(["run", "--readonly-dir", `${dir}::/sb`, probe, "cat", "/sb/new.txt"]).stdout).toBe("written");
  });
  it("streams stdout while the program runs", async () => {
    const w = await wabtInit();
    const src = `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1) (data (i32.const 16) "first\\n") (data (i32.const 32) "second\\n")
      (func $say (param i32 i32) (i32.store (i32.const 0) (local.get 0)) (i32.store (i32.const 4) (local.get 1))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
      (func (export "_start")
        (call $say (i32.const 16) (i32.const 6))
        (i32.store8 (i32.const 264) (i32.const 0)) (i32.store (i32.const 272) (i32.const 1))
        (i64.store (i32.const 280) (i64.const 1500000000))
        (drop (call $poll (i32.const 256) (i32.const 512) (i32.const 1) (i32.const 8)))
        (call $say (i32.const 32) (i32.const 7))))`;
    writeFileSync(join(dir, "slow.wasm"), w.parseWat("s.wat", src).toBinary({}).buffer);
    const child = spawn(process.execPath, [EKA, "wasi", "run", "slow.wasm"], { cwd: dir });
    const start = Date.now();
    const seen: [string, number][] = [];
    child.stdout.on("data", (d: Buffer) => seen.push([d.toString(), Date.now() - start]));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    const exitAt = Date.now() - start;
    expect(code).toBe(0);
    expect(seen.map((s) => s[0]).join("")).toBe("first\nsecond\n");
    expect(seen[0]?.[0]).toBe("first\n");
    expect(exitAt - (seen[0]?.[1] ?? exitAt)).toBeGreaterThan(1000);
  });
  it("a closed pipe ends the program like SIGPIPE (status 141), not with a host error", async () => {
    const w = await wabtInit();
    const src = `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1) (data (i32.const 16) "y\\n")
      (func (export "_start") (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 2))
        (loop $l (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))))`;
    writeFileSync(join(dir, "yes.wasm"), w.parseWat("y.wat", src).toBinary({}).buffer);
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${EKA}" wasi run yes.wasm | head -2; echo "status=\${PIPESTATUS[0]}" >&2`], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(r.stdout).toBe("y\ny\n");
    expect(r.stderr.trim()).toBe("status=141");
  });
  it("--deterministic gives the same clocks and random bytes every run", () => {
    const env = { SOURCE_DATE_EPOCH: "1000000000" };
    const a = eka(["run", "--deterministic", probe, "misc"], { env });
    const b = eka(["run", "--deterministic", probe, "misc"], { env });
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain("realtime_s=1000000000\n");
  });
  it("passes stdin through", () => {
    expect(eka(["run", probe, "stdin"], { input: "x".repeat(100_000) }).stdout).toBe("stdin_bytes=100000\n");
  });
  it("bad input: one clear line naming the problem, exit ≠ 0", async () => {
    writeFileSync(join(dir, "text.wasm"), "hello");
    const w = await wabtInit();
    writeFileSync(join(dir, "imports.wasm"), w.parseWat("i.wat", `(module (import "env" "host_magic" (func)) (memory (export "memory") 1) (func (export "_start")))`).toBinary({}).buffer);
    writeFileSync(join(dir, "trap.wasm"), w.parseWat("t.wat", `(module (memory (export "memory") 1) (func $boom unreachable) (func (export "_start") (call $boom)))`).toBinary({ write_debug_names: true }).buffer);
    writeFileSync(join(dir, "reactor.wasm"), w.parseWat("r.wat", `(module (memory (export "memory") 1) (func (export "_initialize")))`).toBinary({}).buffer);
    for (const [args, pattern] of [
      [["run", "trap.wasm"], /E_WASM_TRAP.*unreachable.* in function boom/],
      [["run", "reactor.wasm"], /E_WASM_NOT_COMMAND.*'_start'/],
      [["run", "missing.wasm"], /'missing\.wasm' does not exist/],
      [["run", "text.wasm"], /'text\.wasm' is not a WebAssembly module/],
      [["run", "imports.wasm"], /env\.host_magic/],
      [["run", "--dir", "/no/such/dir", probe], /no such directory/],
      [["run", "--bogus", probe], /--bogus/],
      [["run"], /missing FILE\.wasm/],
    ] as [string[], RegExp][]) {
      const r = eka(args);
      expect(r.status, args.join(" ")).not.toBe(0);
      expect(r.stderr.trim().split("\n")[0]).toMatch(pattern);
      if (args[1] !== "--bogus" && args.length > 1) expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
  it("--help explains the options", () => {
    const r = eka(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--dir HOST\[::GUEST\]/);
    expect(r.stdout).toMatch(/--deterministic/);
    expect(eka(["run", "--help"]).status).toBe(0);
  });
});
