// BLAKE3 candidates side by side: MB/s on one 256 MiB buffer and on 10,000 × 4 KiB buffers,
// each as a ratio to Debian's b3sum on one thread (the peer; goal ≥ 0.5×).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import { createBLAKE3 } from "hash-wasm";
import { blake3 as ekaBlake3, blake3Implementation, blake3Stream, initBlake3, toHex } from "../src/util/blake3.ts";

type Candidate = { name: string; oneShot: (b: Uint8Array) => Uint8Array; streamed?: (chunks: Uint8Array[]) => Uint8Array };

const BIG = 256 * 1024 * 1024;
const SMALL = 4096;
const COUNT = 10_000;

export async function run(): Promise<void> {
  await initBlake3();
  const hw = await createBLAKE3(256);
  const require = createRequire(import.meta.url);
  const b3wasm = require("blake3-wasm") as { hash(b: Uint8Array): Uint8Array };
  const candidates: Candidate[] = [
    { name: "hash-wasm 4.13", oneShot: (b) => hw.init().update(b).digest("binary") },
    { name: "blake3-wasm 2.1.5", oneShot: (b) => b3wasm.hash(b) },
    { name: "@noble/hashes (pure JS)", oneShot: (b) => nobleBlake3(b) },
    {
      name: `eka util/blake3 (${blake3Implementation()})`,
      oneShot: (b) => ekaBlake3(b),
      streamed: (chunks) => {
        const s = blake3Stream();
        for (const c of chunks) s.update(c);
        return s.digest();
      },
    },
  ];

  const big = new Uint8Array(BIG);
  for (let i = 0; i < BIG; i += 4) new DataView(big.buffer).setUint32(i, Math.imul(i, 2654435761) >>> 0, true);
  const smalls = Array.from({ length: COUNT }, (_, i) => big.subarray(i * SMALL, (i + 1) * SMALL));
  const chunks = Array.from({ length: BIG / (1 << 20) }, (_, i) => big.subarray(i << 20, (i + 1) << 20));

  // The peer: b3sum on one thread over the same bytes in a file (page-cached after the first run).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eka-b3-"));
  const file = path.join(dir, "big.bin");
  fs.writeFileSync(file, big);
  const smallDir = path.join(dir, "small");
  fs.mkdirSync(smallDir);
  smalls.forEach((b, i) => fs.writeFileSync(path.join(smallDir, String(i)), b));
  let peerBig = 0;
  let peerSmall = 0;
  let expected = "";
  const hasB3sum = spawnSync("b3sum", ["--version"]).status === 0;
  if (hasB3sum) {
    peerBig = best(3, () => {
      const r = spawnSync("b3sum", ["--num-threads", "1", "--no-names", file], { encoding: "utf8" });
      expected = r.stdout.trim();
    });
    // b3sum on 10,000 files in one process (file opening included: an upper bound for it).
    const names = fs.readdirSync(smallDir).map((n) => path.join(smallDir, n));
    peerSmall = best(3, () => spawnSync("b3sum", ["--num-threads", "1", "--no-names", ...names], { maxBuffer: 1 << 24 }));
  }
  // CPU time is steadier than wall time on a shared machine: b3sum's from /usr/bin/time.
  let peerCpuMs = 0;
  if (hasB3sum && fs.existsSync("/usr/bin/time")) {
    peerCpuMs = Infinity;
    for (let i = 0; i < 3; i++) {
      const r = spawnSync("/usr/bin/time", ["-f", "%U %S", "b3sum", "--num-threads", "1", "--no-names", file], { encoding: "utf8" });
      const [u, sy] = (r.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
      if (u !== undefined && sy !== undefined && Number.isFinite(u + sy)) peerCpuMs = Math.min(peerCpuMs, (u + sy) * 1000);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });

  const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
  const peerBigMBps = peerBig ? BIG / 1e6 / (peerBig / 1000) : 0;
  const peerSmallMBps = peerSmall ? (COUNT * SMALL) / 1e6 / (peerSmall / 1000) : 0;
  console.log(`  b3sum --num-threads 1: 256 MiB ${hasB3sum ? `${mbps(BIG, peerBig)} MB/s` : "n/a (b3sum not installed)"}; 10,000 × 4 KiB files ${hasB3sum ? `${mbps(COUNT * SMALL, peerSmall)} MB/s` : "n/a"}`);
  console.log(`  ${"candidate".padEnd(28)} ${"256 MiB MB/s".padStart(13)} ${"× b3sum".padStart(8)} ${"4 KiB×10k MB/s".padStart(15)} ${"× b3sum".padStart(8)}`);
  // Rounds interleave the candidates so load from other processes hits them alike.
  const tBig = new Map<string, number>();
  const tSmall = new Map<string, number>();
  const tStream = new Map<string, number>();
  for (const c of candidates) {
    const got = toHex(c.oneShot(big));
    if (expected && got !== expected) throw new Error(`${c.name} disagrees with b3sum: ${got} vs ${expected}`);
  }
  for (let round = 0; round < 3; round++) {
    for (const c of candidates) {
      if (c.name.includes("pure JS") && round > 0) continue;
      const keep = (m: Map<string, number>, ms: number) => m.set(c.name, Math.min(m.get(c.name) ?? Infinity, ms));
      keep(tBig, best(1, () => c.oneShot(big)));
      keep(tSmall, best(1, () => {
        for (const s of smalls) c.oneShot(s);
      }));
      if (c.streamed) keep(tStream, best(1, () => c.streamed?.(chunks)));
    }
  }
  const ratio = (bytes: number, ms: number, peer: number) => (peer ? (bytes / 1e6 / (ms / 1000) / peer).toFixed(2) : "-");
  for (const c of candidates) {
    const b = tBig.get(c.name) as number;
    const sm = tSmall.get(c.name) as number;
    console.log(`  ${c.name.padEnd(28)} ${mbps(BIG, b).padStart(13)} ${ratio(BIG, b, peerBigMBps).padStart(8)} ${mbps(COUNT * SMALL, sm).padStart(15)} ${ratio(COUNT * SMALL, sm, peerSmallMBps).padStart(8)}`);
    const st = tStream.get(c.name);
    if (st !== undefined) console.log(`  ${(c.name + ", 1 MiB stream").padEnd(28)} ${mbps(BIG, st).padStart(13)} ${ratio(BIG, st, peerBigMBps).padStart(8)}`);
  }
  const cpu = (fn: () => unknown) => {
    let min = Infinity;
    for (let i = 0; i < 3; i++) {
      const c = process.cpuUsage();
      fn();
      const d = process.cpuUsage(c);
      min = Math.min(min, (d.user + d.system) / 1000);
    }
    return min;
  };
  const cpuLine = candidates.filter((c) => !c.name.includes("pure JS")).map((c) => `${c.name} ${mbps(BIG, cpu(() => c.oneShot(big)))} MB/s`);
  if (peerCpuMs > 0 && Number.isFinite(peerCpuMs)) cpuLine.push(`b3sum ${peerCpuMs < 1 ? "> " + mbps(BIG, 10) : mbps(BIG, peerCpuMs)} MB/s`);
  console.log(`  by CPU time, 256 MiB: ${cpuLine.join("; ")}`);
}

function best(times: number, fn: () => unknown): number {
  let min = Infinity;
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}
