// The bootstrap chain from an empty store: `eka bootstrap --json` into a fresh store and action
// cache, and the time of each stage (0: the seed checked and imported; 1: wasi-libc from source
// plus its checks; 2: the package set against it) and of the whole chain. Beside stage 1, in the
// same run, upstream's own `make -j2` of the same wasi-libc tarball with Debian's native clang-22
// (same sources, same flags): the ratio is what running the compiler as WebAssembly inside eka
// costs against a native build.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const WASI_LIBC_SHA256 = "8f9b802736a856942839d32966937c389f46e9f156415a549a6675b7535e5f74";

interface Row {
  stage: number;
  atom: string;
  ms: number;
}

function ekaJson(args: string[], env: Record<string, string>): Promise<{ stages: Row[]; ms: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, "bin/eka.js"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    const out: Buffer[] = [];
    p.stdout.on("data", (c: Buffer) => out.push(c));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(JSON.parse(Buffer.concat(out).toString())) : reject(new Error(`eka ${args.join(" ")} exited ${code}`))));
  });
}

/** upstream's Makefile, -j2, native clang-22; null (with the reason printed) when a tool is missing. */
function nativeMake(cache: string): number | null {
  for (const t of ["make", "clang-22", "llvm-ar-22", "llvm-nm-22"]) {
    if (spawnSync(t, ["--version"], { stdio: "ignore" }).status !== 0) {
      console.log(`  native make baseline skipped: ${t} missing (apt-get install make clang-22 llvm-22)`);
      return null;
    }
  }
  const work = mkdtempSync(join(tmpdir(), "eka-bench-wasi-libc-"));
  try {
    spawnSync("tar", ["xf", join(cache, "mirror/sha256", WASI_LIBC_SHA256), "-C", work, "--strip-components=1"]);
    // The same two flag changes as the atom (bootstrap/README.md): the target's new name, and the
    // warning clang 22 added, appended after the Makefile's own -W flags.
    writeFileSync(join(work, "extra.mk"), "CFLAGS += -Wno-unterminated-string-initialization\n");
    const t0 = performance.now();
    const r = spawnSync("make", ["-j2", "-f", "Makefile", "-f", "extra.mk", "CC=clang-22", "AR=llvm-ar-22", "NM=llvm-nm-22", "TARGET_TRIPLE=wasm32-wasip1", "startup_files", "libc"], { cwd: work, stdio: "ignore" });
    const ms = performance.now() - t0;
    if (r.status !== 0) {
      console.log(`  native make baseline failed (exit ${r.status})`);
      return null;
    }
    return ms;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const cache = process.env.EKA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? "", ".cache"), "eka");
  spawnSync("bash", [join(root, "scripts/fill-mirror.sh")], { stdio: "ignore" });
  const store = mkdtempSync(join(tmpdir(), "eka-bench-bootstrap-"));
  try {
    // A fresh store holds its own action cache: nothing of an earlier build is reused.
    const out = await ekaJson(["bootstrap", "--json"], { EKA_STORE: store, EKA_DAEMON: "off" });
    const stageMs = (n: number) => Math.max(0, ...out.stages.filter((r) => r.stage === n).map((r) => r.ms));
    const pkgs = out.stages.filter((r) => r.stage === 2).length;
    console.log(`  stage 0 (seed verified and imported):        ${(stageMs(0) / 1000).toFixed(1)} s`);
    console.log(`  stage 1 (wasi-libc from source, checked):    ${(stageMs(1) / 1000).toFixed(1)} s`);
    console.log(`  stage 2 (${pkgs} packages against stage 1):    ${(stageMs(2) / 1000).toFixed(1)} s`);
    console.log(`  whole chain from an empty store:             ${(out.ms / 1000).toFixed(1)} s`);
    const native = nativeMake(cache);
    if (native !== null) {
      console.log(`  wasi-libc by upstream's make -j2, native clang-22: ${(native / 1000).toFixed(1)} s`);
      console.log(`  stage 1 / native make: ${(stageMs(1) / native).toFixed(2)}x (stage 1 includes its checks)`);
    }
  } finally {
    spawnSync("chmod", ["-R", "u+w", store]);
    rmSync(store, { recursive: true, force: true });
  }
}
