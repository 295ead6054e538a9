// No-op `eka build`s after a first build, each whole process (spawned `node bin/eka.js build`)
// beside `node -e 0` in interleaved rounds, so the ratio shows what is Node's own start-up:
//  - examples/sqlite: two path sources, one of them the 9 MB amalgamation (goal ≤ 1.5×);
//  - a graph of 21 atoms (20 library atoms in a chain, one app on top), also in-process
//    (load + resolve check + IR + store lookups), which is what eka itself costs.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bench } from "tinybench";
import { buildPrepared, prepareAtom } from "../src/cli/atoms.ts";
import { openStore } from "../src/store/open.node.ts";
import { REPO, spawnMs, timeSpawns } from "./spawn-timing.ts";

const LIBS = 20;

function writeGraph(root: string): string {
  for (let i = 0; i < LIBS; i++) {
    const dir = join(root, `lib${i}`);
    mkdirSync(join(dir, "src"), { recursive: true });
    const dep = i > 0 ? `\n[deps.prev]\npath = "../lib${i - 1}"\n` : "";
    writeFileSync(join(dir, "atom.toml"), `[atom]\nid = "lib${i}"\nversion = "1.0.${i}"\n\n[srcs.main]\npath = "src"\n${dep}\n[build]\nkind = "c"\n\n[build.lib.l${i}]\nsources = ["l${i}.c"]\nheaders = ["l${i}.h"]\n`);
    writeFileSync(join(dir, "src", `l${i}.h`), `int l${i}(void);\n`);
    writeFileSync(join(dir, "src", `l${i}.c`), `int l${i}(void) { return ${i}; }\n`);
  }
  const app = join(root, "app");
  mkdirSync(join(app, "src"), { recursive: true });
  writeFileSync(join(app, "atom.toml"), `[atom]\nid = "app"\nversion = "1.0.0"\n\n[srcs.main]\npath = "src"\n\n[deps.top]\npath = "../lib${LIBS - 1}"\n\n[build]\nkind = "c"\n\n[build.bin.app]\nsources = ["main.c"]\nlink = ["from.top"]\n`);
  writeFileSync(join(app, "src", "main.c"), `#include <l${LIBS - 1}.h>\nint main(void) { return l${LIBS - 1}() == ${LIBS - 1} ? 0 : 1; }\n`);
  return app;
}


function tempEnv(root: string): NodeJS.ProcessEnv {
  return { ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache") };
}

export async function run(): Promise<void> {
  await sqlite();
  await graph();
}

async function sqlite(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "eka-bench-cli-sqlite-"));
  try {
    const env = tempEnv(root);
    const args = ["bin/eka.js", "build", "examples/sqlite"];
    const first = spawnMs(args, env);
    console.log(`  first build of examples/sqlite (compiles the amalgamation): ${(first / 1000).toFixed(1)} s`);
    const n = 21;
    const [nodeMs, ekaMs] = timeSpawns([["-e", "0"], args].map((a) => ({ args: a, env })), n) as [number, number];
    const ratio = ekaMs / nodeMs;
    console.log(`  whole process, median of ${n} interleaved: node -e 0 ${nodeMs.toFixed(1)} ms | eka build examples/sqlite (no-op) ${ekaMs.toFixed(1)} ms | ratio ${ratio.toFixed(2)}x (goal ≤ 1.5x)${ratio <= 1.5 ? "" : " MISSED"}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function graph(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "eka-bench-cli-"));
  // One repository (as a checkout would be), so the atoms may name each other by path.
  mkdirSync(join(root, ".git"));
  try {
    const app = writeGraph(root);
    const env = tempEnv(root);
    const t0 = performance.now();
    const first = spawnSync(process.execPath, ["bin/eka.js", "build", app, "--json"], { env, cwd: REPO, encoding: "utf8" });
    if (first.status !== 0) throw new Error(`first build failed: ${first.stderr}`);
    const firstMs = performance.now() - t0;
    console.log(`  first build of ${LIBS + 1} atoms (${LIBS * 2 + 2} steps): ${(firstMs / 1000).toFixed(1)} s`);

    const n = 15;
    const [nodeMs, versionMs, ekaMs] = timeSpawns([["-e", "0"], ["bin/eka.js", "--version"], ["bin/eka.js", "build", app]].map((a) => ({ args: a, env })), n) as [number, number, number];
    console.log(`  whole process, median of ${n} interleaved: node -e 0 ${nodeMs.toFixed(1)} ms | eka --version ${versionMs.toFixed(1)} ms | eka build (no-op, ${LIBS + 1} atoms) ${ekaMs.toFixed(1)} ms | ratio to node -e 0 ${(ekaMs / nodeMs).toFixed(2)}x, eka's own share ≈ ${(ekaMs - nodeMs).toFixed(1)} ms`);

    process.env.EKA_STORE = env.EKA_STORE;
    process.env.EKA_CACHE = env.EKA_CACHE;
    const store = await openStore(env.EKA_STORE);
    const bench = new Bench({ iterations: 30, warmupIterations: 3 });
    bench.add(`in-process no-op build (${LIBS + 1} atoms: parse, lock check with source hashing, IR, store lookups)`, async () => {
      const p = await prepareAtom(app, {}, { frozen: true });
      const [r] = await buildPrepared(p, { store });
      if (r?.built) throw new Error("expected a no-op");
    });
    await bench.run();
    for (const t of bench.tasks) {
      const r = t.result as { latency?: { mean: number; p50?: number } } | undefined;
      const mean = r?.latency?.mean ?? NaN;
      console.log(`  ${t.name}: mean ${mean.toFixed(2)} ms, p50 ${(r?.latency?.p50 ?? NaN).toFixed(2)} ms (goal ≤ 50 ms)`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
