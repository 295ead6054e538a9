// The package set (pkgs/), measured side by side in one run:
//  - a cold build of the whole set by eka (the seed's clang as WebAssembly, 2 workers) against the
//    same build with native clang-22 (bench/native-executor.ts: same sources, flags and
//    scheduler, -j2) — goal ≤ 2.0x;
//  - the no-op rebuild of the whole set as a whole process (`eka build pkgs`) against `node -e 0`;
//  - `eka cc -O2 -c` of Lua 5.4.4's library sources (its tarball from the mirror) in one command,
//    against native clang-22 with 2 jobs on the same files and flags (goal <= 2.0x);
//  - pkgs/lua rebuilt with every step re-run (a changed define) through a warm `eka daemon`
//    against the same rebuild with native clang-22 through eka's scheduler (goal <= 1.3x).
// EKA_BENCH_PARTS=cold,cc,warm picks parts (cold includes the no-op).
// Sources come from the mirror scripts/fill-mirror.sh fills (EKA_MIRRORS, else $EKA_CACHE/mirror).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { buildPreparedEach, prepareAtom, atomDirsFromArgs, type PreparedAtom } from "../src/cli/atoms.ts";
import { openStore } from "../src/store/open.node.ts";
import { seedFiles } from "../src/bootstrap/seed.node.ts";
import { sysrootDir } from "../src/toolchains/clang/seed.node.ts";
import { NativeExecutor, nativeToolsMissing } from "./native-executor.ts";
import { benchPart, median, spawnMs, timeSpawns } from "./spawn-timing.ts";

const ROOT = join(import.meta.dirname, "..");
const PKGS = process.env.EKA_BENCH_PKGS ?? join(ROOT, "pkgs");

export async function run(): Promise<void> {
  execFileSync("bash", [join(ROOT, "scripts/fill-mirror.sh")], { stdio: ["ignore", "ignore", "inherit"] });
  const dir = mkdtempSync(join(tmpdir(), "eka-bench-pkgs-"));
  try {
    const dirs = await atomDirsFromArgs([PKGS]);
    const atoms = await Promise.all(dirs.map((d) => prepareAtom(d, {}, { frozen: true })));
    const packages = new Set(atoms.flatMap((a) => a.roots.map((r) => r.name))).size;
    const missing = nativeToolsMissing();
    if (!benchPart("cold")) {
      if (!missing && benchPart("cc")) await ccLua(join(dir, "lua"));
      if (!missing && benchPart("warm")) await warmLua(join(dir, "warm"));
      return;
    }
    let native: number | null = null;
    let nativeTools = 0;
    if (missing) console.log(`  native clang-22 baseline skipped: ${missing}`);
    else {
      const ex = new NativeExecutor(2);
      native = await cold(atoms, join(dir, "native"), ex);
      console.log(`  native clang-22 through eka's scheduler, -j2, cold: ${(native / 1000).toFixed(1)} s  (${packages} packages)`);
      // A native build without eka (make -j2) costs at least the tools' own time over two cores.
      console.log(`  native clang-22's own process time: ${(ex.toolMs / 1000).toFixed(1)} s; over 2 cores at best ${(ex.toolMs / 2000).toFixed(1)} s`);
      nativeTools = ex.toolMs / 2;
    }
    const eka = await cold(atoms, join(dir, "eka"), undefined);
    console.log(`  eka (wasm clang, 2 workers), cold: ${(eka / 1000).toFixed(1)} s${native ? `  = ${(eka / native).toFixed(2)}x native through eka (goal <= 2.0x), ${(eka / nativeTools).toFixed(2)}x the native tools' best -j2` : ""}`);
    noop(join(dir, "eka"));
    if (!missing && benchPart("cc")) await ccLua(join(dir, "lua"));
    if (!missing && benchPart("warm")) await warmLua(join(dir, "warm"));
  } finally {
    spawnSync("chmod", ["-R", "u+w", dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A cold build of every atom into a new store (no action cache): wall ms. */
async function cold(atoms: PreparedAtom[], storeDir: string, executor: NativeExecutor | undefined): Promise<number> {
  const store = await openStore(storeDir);
  const t0 = performance.now();
  const outcomes = await buildPreparedEach(atoms, { store, jobs: 2, ...(executor ? { executor } : {}) });
  const ms = performance.now() - t0;
  store.close();
  const failed = outcomes.flat().filter((o) => !o.ok);
  if (failed.length) throw new Error(`${failed.length} packages failed: ${failed.map((f) => (f.ok ? "" : `${f.failed.name}: ${String((f.error as Error).message).split("\n")[0]}`)).join("; ")}`);
  return ms;
}

const LUA_TARBALL = "164c7849653b80ae67bec4b7473b884bf5cc8d2dca05653475ec2ed27b9ebf61";
// Lua's core and libraries, with pkgs/lua's flags (setjmp through wasm exceptions, no tmpnam).
const LUA_FILES = "lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate lstring ltable ltm lundump lvm lzio lauxlib lbaselib lcorolib ldblib liolib lmathlib loadlib loslib lstrlib ltablib lutf8lib linit".split(" ").map((f) => `${f}.c`);
export const LUA_FLAGS = ["-O2", "-mllvm", "-wasm-enable-sjlj", "-DLUA_COMPAT_5_3", "-Dl_signalT=int", "-DLUA_TMPNAMBUFSIZE=1", "-Dlua_tmpnam(b,e)={ (void)(b); e = 1; }", "-D_WASI_EMULATED_PROCESS_CLOCKS", "-c"];

/** `eka cc -c` of Lua's files in one command against native clang-22, two at a time: wall time. */
export async function ccLua(dir: string): Promise<void> {
  const mirrorDir = process.env.EKA_MIRRORS?.split(/\s+/)[0] || join(process.env.EKA_CACHE ?? join(homedir(), ".cache/eka"), "mirror");
  execFileSync("mkdir", ["-p", dir]);
  execFileSync("tar", ["xzf", join(mirrorDir, "sha256", LUA_TARBALL), "-C", dir, "--strip-components=1"]);
  const src = join(dir, "src");
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, "bin/eka.js"), "cc", ...LUA_FLAGS, ...LUA_FILES], { cwd: src, encoding: "utf8" });
  const eka = performance.now() - t0;
  if (r.status !== 0) throw new Error(`eka cc of Lua failed: ${r.stderr}`);
  const seedUsr = await sysrootDir(seedFiles().resources);
  const t1 = performance.now();
  const queue = [...LUA_FILES];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const code = await new Promise<number | null>((res) => spawn("clang-22", ["--target=wasm32-wasip1", `--sysroot=${seedUsr}`, `-resource-dir=${seedUsr}`, ...LUA_FLAGS, f], { cwd: src, stdio: "ignore" }).on("close", res));
      if (code !== 0) throw new Error(`native clang-22 failed on ${f}`);
    }
  };
  await Promise.all([worker(), worker()]);
  const native = performance.now() - t1;
  console.log(`  eka cc -O2 -c of ${LUA_FILES.length} Lua files: ${(eka / 1000).toFixed(2)} s vs native clang-22 -j2 ${(native / 1000).toFixed(2)} s = ${(eka / native).toFixed(2)}x (goal <= 2.0x)`);
}

/** `eka build pkgs` on a store that has it all, as a whole process, against `node -e 0` (medians of 7, interleaved). */
function noop(storeDir: string): void {
  const env = { ...process.env, EKA_STORE: storeDir };
  const [node, eka] = timeSpawns([{ args: ["-e", "0"], env }, { args: [join(ROOT, "bin/eka.js"), "build", PKGS, "--frozen", "--no-progress"], env }], 7) as [number, number];
  console.log(`  no-op 'eka build pkgs', whole process: ${eka.toFixed(0)} ms vs node -e 0 ${node.toFixed(0)} ms = ${(eka / node).toFixed(2)}x`);
}

/**
 * pkgs/lua with a define changed before each build, so every compile, the archive and the links
 * re-run: through a warm daemon (its seed compiled, V8 tiered up) against native clang-22 through
 * eka's scheduler with 2 jobs, on one store; medians of EKA_BENCH_ROUNDS (default 3).
 */
async function warmLua(root: string): Promise<void> {
  // A git repository holding a copy of the atom and of the stage-1 libc atom it may depend on.
  cpSync(join(ROOT, "pkgs/lua"), join(root, "pkgs/lua"), { recursive: true });
  cpSync(join(ROOT, "bootstrap/wasi-libc"), join(root, "bootstrap/wasi-libc"), { recursive: true });
  execFileSync("git", ["init", "-q", root]);
  const toml = join(root, "pkgs/lua/atom.toml");
  const text = readFileSync(toml, "utf8");
  if (!text.includes("defines = { LUA_COMPAT_5_3 = true,")) throw new Error("pkgs/lua/atom.toml changed: update bench/pkgs.bench.ts");
  let round = 0;
  const bump = () => writeFileSync(toml, text.replace("defines = { LUA_COMPAT_5_3 = true,", `defines = { EKA_BENCH_ROUND = ${round++}, LUA_COMPAT_5_3 = true,`));
  // A cache of its own (the daemon's socket and pid live there), and the mirror of the real one.
  const mirrors = [process.env.EKA_MIRRORS, join(process.env.EKA_CACHE ?? join(homedir(), ".cache/eka"), "mirror")].filter(Boolean).join(" ");
  const env = { ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache"), EKA_MIRRORS: mirrors, XDG_RUNTIME_DIR: join(root, "run"), EKA_DAEMON: "on" };
  execFileSync("mkdir", ["-p", env.XDG_RUNTIME_DIR]);
  const eka = join(ROOT, "bin/eka.js");
  const args = [eka, "build", join(root, "pkgs/lua"), "--no-progress"];
  spawnMs([eka, "daemon", "start"], env);
  try {
    bump();
    spawnMs(args, env);
    bump();
    spawnMs(args, env);
    const n = Number(process.env.EKA_BENCH_ROUNDS ?? "3");
    const daemon: number[] = [];
    const native: number[] = [];
    for (let i = 0; i < n; i++) {
      bump();
      daemon.push(spawnMs(args, env));
      bump();
      const atom = await prepareAtom(join(root, "pkgs/lua"), {}, {});
      const store = await openStore(env.EKA_STORE);
      const t0 = performance.now();
      const out = await buildPreparedEach([atom], { store, jobs: 2, executor: new NativeExecutor(2) });
      native.push(performance.now() - t0);
      store.close();
      if (out.flat().some((o) => !o.ok)) throw new Error("the native lua rebuild failed");
    }
    const d = median(daemon);
    const nat = median(native);
    console.log(`  pkgs/lua rebuild, every step re-run, median of ${n}: warm daemon ${(d / 1000).toFixed(2)} s (whole process) vs native clang-22 -j2 through eka ${(nat / 1000).toFixed(2)} s = ${(d / nat).toFixed(2)}x (goal <= 1.3x)`);
  } finally {
    spawnSync(process.execPath, [eka, "daemon", "stop"], { env });
  }
}
