// `eka daemon`: what a warm daemon saves, whole processes side by side on the same store.
//  - the no-op `eka build examples/hello` through the daemon, in-process (EKA_DAEMON=off), and
//    `node -e 0`, in interleaved rounds;
//  - a warm rebuild of examples/sqlite with a changed define (so every step re-runs: the 9 MB
//    amalgamation's compile, shell.c, the archive and the link) through the daemon (its pool warm,
//    V8 tiering clang up) against in-process (a fresh process compiling the seed, Liftoff only).
//    A second daemon kept at the one-shot flags (Liftoff only) shows where tiering crosses over;
//  - one `eka cc -O2 -c` of Lua's lvm.c through the daemon and in-process, against one native
//    `clang-22 -c` of the same file with the same flags and the seed's sysroot (goal <= 1.5x).
// EKA_BENCH_ROUNDS sets the sqlite rounds (default 2; each is three full builds);
// EKA_BENCH_PARTS=noop,sqlite,cc picks parts.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedFiles } from "../src/bootstrap/seed.node.ts";
import { sysrootDir } from "../src/toolchains/clang/seed.node.ts";
import { nativeToolsMissing } from "./native-executor.ts";
import { LUA_FLAGS } from "./pkgs.bench.ts";
import { benchPart, median, REPO, spawnMs, timeSpawns } from "./spawn-timing.ts";

const EKA = join(REPO, "bin/eka.js");


const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "eka-bench-daemon-"));
  const base: NodeJS.ProcessEnv = { ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache"), XDG_RUNTIME_DIR: join(root, "run") };
  mkdirSync(base.XDG_RUNTIME_DIR as string, { recursive: true });
  const viaDaemon = { ...base, EKA_DAEMON: "on" };
  const inProcess = { ...base, EKA_DAEMON: "off" };
  // The same store, another runtime directory: a daemon started with the one-shot V8 flags.
  const liftoff = { ...viaDaemon, XDG_RUNTIME_DIR: join(root, "run-liftoff"), EKA_V8_FLAGS: "--liftoff-only --wasm-lazy-validation" };
  mkdirSync(liftoff.XDG_RUNTIME_DIR, { recursive: true });
  try {
    spawnMs([EKA, "daemon", "start"], base);
    spawnMs([EKA, "daemon", "start"], liftoff);
    if (benchPart("noop")) await noop(viaDaemon, inProcess);
    if (benchPart("sqlite")) await sqliteRebuild(root, viaDaemon, liftoff, inProcess);
    if (benchPart("cc")) await singleCc(root, viaDaemon, inProcess);
    const st = spawnSync(process.execPath, [EKA, "daemon", "status"], { env: base, encoding: "utf8" }).stdout;
    console.log(st.trimEnd().replace(/^/gm, "  daemon: "));
  } finally {
    spawnSync(process.execPath, [EKA, "daemon", "stop"], { env: base });
    spawnSync(process.execPath, [EKA, "daemon", "stop"], { env: liftoff });
    spawnSync("chmod", ["-R", "u+w", root]);
    rmSync(root, { recursive: true, force: true });
  }
}

async function noop(viaDaemon: NodeJS.ProcessEnv, inProcess: NodeJS.ProcessEnv): Promise<void> {
  const args = [EKA, "build", "examples/hello", "--no-progress"];
  spawnMs(args, inProcess);
  const n = 21;
  const [nodeMs, daemonMs, inMs] = timeSpawns([{ args: ["-e", "0"], env: inProcess }, { args, env: viaDaemon }, { args, env: inProcess }], n) as [number, number, number];
  console.log(`  no-op eka build examples/hello, median of ${n} interleaved: node -e 0 ${nodeMs.toFixed(1)} ms | through the daemon ${daemonMs.toFixed(1)} ms (${x(daemonMs, nodeMs)} node) | in-process ${inMs.toFixed(1)} ms (${x(inMs, nodeMs)} node) | daemon/in-process ${x(daemonMs, inMs)}`);
}

async function sqliteRebuild(root: string, viaDaemon: NodeJS.ProcessEnv, liftoff: NodeJS.ProcessEnv, inProcess: NodeJS.ProcessEnv): Promise<void> {
  // A copy with the amalgamation inside the atom's directory, so its define can be changed.
  const dir = join(root, "sqlite");
  cpSync(join(REPO, "examples/sqlite/src"), join(dir, "src"), { recursive: true });
  cpSync(join(REPO, "node_modules/better-sqlite3/deps/sqlite3"), join(dir, "amalgamation"), { recursive: true });
  const toml = readFileSync(join(REPO, "examples/sqlite/atom.toml"), "utf8").replace(/path = "\.\.\/\.\.\/node_modules\/better-sqlite3\/deps\/sqlite3"/, 'path = "amalgamation"');
  if (!toml.includes('path = "amalgamation"')) throw new Error("examples/sqlite/atom.toml changed: update bench/daemon.bench.ts");
  const withDefine = (n: number) => writeFileSync(join(dir, "atom.toml"), toml.replace(/defines = \{/, `defines = { EKA_BENCH_ROUND = ${n},`));
  const args = [EKA, "build", dir, "--no-progress"];
  // Warm-up: the daemon compiles the seed and tiers clang up; both share the store's fetched inputs.
  let round = 1000;
  withDefine(round++);
  const warmT = spawnMs(args, viaDaemon);
  withDefine(round++);
  const warmL = spawnMs(args, liftoff);
  withDefine(round++);
  const firstIn = spawnMs(args, inProcess);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`  examples/sqlite first builds (changed define): daemon, tiering ${s(warmT)} | daemon, Liftoff only ${s(warmL)} | in-process ${s(firstIn)}`);
  const n = Number(process.env.EKA_BENCH_ROUNDS ?? "2");
  const [daemonMs, liftoffMs, inMs] = timeSpawns([{ args, env: viaDaemon }, { args, env: liftoff }, { args, env: inProcess }], n, () => withDefine(round++)) as [number, number, number];
  console.log(
    `  examples/sqlite rebuild, every step re-run, median of ${n}: warm daemon, tiering ${s(daemonMs)} (${x(daemonMs, inMs)} in-process) | warm daemon, Liftoff only ${s(liftoffMs)} (${x(liftoffMs, inMs)}) | in-process ${s(inMs)}`,
  );
}

/** Lua 5.4.4's tarball, as pkgs/lua pins it, from the mirror scripts/fill-mirror.sh fills. */
const LUA_SHA256 = "164c7849653b80ae67bec4b7473b884bf5cc8d2dca05653475ec2ed27b9ebf61";

async function singleCc(root: string, viaDaemon: NodeJS.ProcessEnv, inProcess: NodeJS.ProcessEnv): Promise<void> {
  const cache = process.env.EKA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? "", ".cache"), "eka");
  const dir = join(root, "lua");
  mkdirSync(dir);
  const untar = spawnSync("tar", ["-xzf", join(cache, "mirror/sha256", LUA_SHA256), "-C", dir, "--strip-components=2", "lua-5.4.4/src"]);
  if (untar.status !== 0) return console.log("  single-file eka cc skipped: Lua's tarball is not in the mirror (scripts/fill-mirror.sh)");
  // pkgs/lua's flags (LUA_FLAGS ends in -c).
  const flags = [...LUA_FLAGS, "lvm.c", "-o", "lvm.o"];
  const eka = (env: NodeJS.ProcessEnv) => ({ args: [EKA, "cc", ...flags], env, cwd: dir });
  const n = 11;
  spawnMs([EKA, "cc", ...flags], viaDaemon, dir);
  const [daemonMs, inMs] = timeSpawns([eka(viaDaemon), eka(inProcess)], n) as [number, number];
  const missing = nativeToolsMissing();
  if (missing) return console.log(`  eka cc -O2 -c lvm.c, median of ${n}: through the daemon ${daemonMs.toFixed(0)} ms | in-process ${inMs.toFixed(0)} ms (native skipped: ${missing})`);
  const usr = await sysrootDir(seedFiles().resources);
  const nat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = spawnSync("clang-22", ["--target=wasm32-wasip1", `--sysroot=${usr}`, `-resource-dir=${usr}`, ...flags], { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`clang-22 failed: ${r.stderr}`);
    nat.push(performance.now() - t);
  }
  const nativeMs = median(nat);
  console.log(`  eka cc -O2 -c lvm.c (Lua 5.4.4), median of ${n}: through the daemon ${daemonMs.toFixed(0)} ms (${x(daemonMs, nativeMs)} native) | in-process ${inMs.toFixed(0)} ms (${x(inMs, nativeMs)}) | native clang-22 -c ${nativeMs.toFixed(0)} ms (goal <= 1.5x)`);
}
