// Syscall micro-benchmark: our WASI host vs node:wasi, side by side in one run, on WAT guests that
// call one syscall in a loop: fd_write to a sink, clock_time_get, and 2,000 × 4 KiB appends to a
// file, and open+read+close of a small file (ours on a host directory and on a MemoryFS; node:wasi
// on the host directory). The fd_write sink is a no-op callback for eka and /dev/null for node:wasi.
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WASI } from "node:wasi";
import { Bench } from "tinybench";
import wabtInit from "wabt";
import { MemoryFS, type Preopen, WasiHost, writeFile } from "../src/runtime/index.ts";
import { NodeDirFS } from "../src/runtime/nodefs.node.ts";

const WRITES = 100_000;
const CLOCKS = 200_000;
const APPENDS = 2_000;
const OPENS = 20_000;

const loop = (n: number, body: string) => `(local.set $i (i32.const ${n}))
  (loop $l ${body} (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $l (local.get $i)))`;

const guests = {
  fd_write: `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1) (data (i32.const 64) "0123456789abcdef")
    (func (export "_start") (local $i i32) (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 16))
      ${loop(WRITES, "(drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))")}))`,
  clock_time_get: `(module
    (import "wasi_snapshot_preview1" "clock_time_get" (func $c (param i32 i64 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start") (local $i i32) ${loop(CLOCKS, "(drop (call $c (i32.const 1) (i64.const 1) (i32.const 8)))")}))`,
  append: `(module
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
    (memory (export "memory") 1) (data (i32.const 32) "out.bin")
    (func (export "_start") (local $fd i32) (local $i i32)
      (drop (call $open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 7) (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 1) (i32.const 16)))
      (local.set $fd (i32.load (i32.const 16)))
      (i32.store (i32.const 0) (i32.const 4096)) (i32.store (i32.const 4) (i32.const 4096))
      ${loop(APPENDS, "(drop (call $w (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))")}
      (drop (call $close (local.get $fd)))))`,
  open_read_close: `(module
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
    (memory (export "memory") 1) (data (i32.const 32) "sub/in.h")
    (func (export "_start") (local $i i32)
      (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 4096))
      ${loop(OPENS, `(drop (call $open (i32.const 3) (i32.const 1) (i32.const 32) (i32.const 8) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 16)))
        (drop (call $read (i32.load (i32.const 16)) (i32.const 0) (i32.const 1) (i32.const 8)))
        (drop (call $close (i32.load (i32.const 16))))`)}))`,
};

export async function run(): Promise<void> {
  const wabt = await wabtInit();
  const mods = Object.fromEntries(
    Object.entries(guests).map(([k, src]) => [k, new WebAssembly.Module(wabt.parseWat(`${k}.wat`, src).toBinary({}).buffer as Uint8Array<ArrayBuffer>)]),
  ) as Record<keyof typeof guests, WebAssembly.Module>;
  const dir = mkdtempSync(join(tmpdir(), "eka-wasi-bench-"));
  mkdirSync(join(dir, "sub"));
  const header = new Uint8Array(1024).fill(35);
  writeFileSync(join(dir, "sub", "in.h"), header);
  const memDir = new MemoryFS();
  writeFile(memDir, "sub/in.h", header);
  const devnull = openSync("/dev/null", "w");
  try {
    const ours = async (mod: WebAssembly.Module, preopens: Preopen[] = []) => {
      const host = new WasiHost({ args: ["b"], preopens, stdout: () => {} });
      host.start(await WebAssembly.instantiate(mod, host.imports));
    };
    const node = async (mod: WebAssembly.Module, preopens: Record<string, string> = {}) => {
      const wasi = new WASI({ version: "preview1", args: ["b"], env: {}, preopens, stdout: devnull, returnOnExit: true });
      wasi.start(await WebAssembly.instantiate(mod, wasi.getImportObject() as WebAssembly.Imports));
    };
    const cases: { name: string; ops: number; ours: () => Promise<void>; node: () => Promise<void>; extra?: [string, () => Promise<void>] }[] = [
      { name: "fd_write (16 B to a sink)", ops: WRITES, ours: () => ours(mods.fd_write), node: () => node(mods.fd_write) },
      { name: "clock_time_get (monotonic)", ops: CLOCKS, ours: () => ours(mods.clock_time_get), node: () => node(mods.clock_time_get) },
      {
        name: "2,000 × 4 KiB appends",
        ops: APPENDS,
        ours: () => ours(mods.append, [{ guest: "/d", fs: new NodeDirFS(dir) }]),
        node: () => node(mods.append, { "/d": dir }),
        extra: ["ours, MemoryFS", () => ours(mods.append, [{ guest: "/d", fs: new MemoryFS() }])],
      },
      {
        name: "open+read 1 KiB+close",
        ops: OPENS,
        ours: () => ours(mods.open_read_close, [{ guest: "/d", fs: new NodeDirFS(dir) }]),
        node: () => node(mods.open_read_close, { "/d": dir }),
        extra: ["ours, MemoryFS", () => ours(mods.open_read_close, [{ guest: "/d", fs: memDir }])],
      },
    ];
    console.log("  op                             eka ops/s   node:wasi ops/s   ratio (eka/node)");
    for (const c of cases) {
      const bench = new Bench({ time: 1000, warmupIterations: 2 });
      bench.add("eka", c.ours).add("node:wasi", c.node);
      if (c.extra) bench.add(c.extra[0], c.extra[1]);
      await bench.run();
      const hz = (n: string) => (bench.tasks.find((t) => t.name === n)?.result as { throughput?: { mean: number }; hz?: number } | undefined);
      const rate = (n: string) => {
        const r = hz(n);
        return (r?.throughput?.mean ?? r?.hz ?? 0) * c.ops;
      };
      const a = rate("eka");
      const b = rate("node:wasi");
      console.log(`  ${c.name.padEnd(30)} ${fmt(a).padStart(10)}   ${fmt(b).padStart(15)}   ${(a / b).toFixed(2)}×`);
      if (c.extra) console.log(`  ${("  " + c.extra[0]).padEnd(30)} ${fmt(rate(c.extra[0])).padStart(10)}   ${"".padStart(15)}   ${(rate(c.extra[0]) / b).toFixed(2)}×`);
    }
  } finally {
    closeSync(devnull);
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}
