// `eka review` of a synthetic package set: a git repository of 500 tiny C atoms in 10 layers of
// 50 (each atom of layer L > 0 has path dependencies on two atoms of layer L-1), where 10 atoms of
// the middle layer change their source between two commits, and with them every atom above that
// depends on them. Measured:
//  - evaluation of both revisions in-process (two git worktrees, every atom.toml to IR and pids,
//    frozen locks), as `eka review` does it;
//  - the whole `eka review BASE HEAD --max-builds 0` process, which evaluates, classifies and
//    writes review.json, review.md and index.html with nothing built: the time to the verdict when
//    nothing needs building — beside `node -e 0`;
//  - prepareAtom of one atom by layer, which shows why evaluation costs what it does.
// EKA_BENCH_ROUNDS=N repeats the timings (median); the default 1 keeps the run near 3 minutes.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAtomGraph } from "../src/atom/resolve.node.ts";
import { prepareAtom } from "../src/cli/atoms.ts";
import { classify } from "../src/review/classify.ts";
import { evaluateTree, withWorktree } from "../src/review/evaluate.node.ts";
import type { Review } from "../src/review/types.ts";
import { median, REPO, timeSpawns } from "./spawn-timing.ts";

const LAYERS = 10;
const WIDTH = 50;
const CHANGED_LAYER = 5;
const CHANGED = 10;
/** Rounds of each timing (EKA_BENCH_ROUNDS; the evaluation alone takes about a minute here). */
const ROUNDS = Math.max(1, Number(process.env.EKA_BENCH_ROUNDS ?? 1) || 1);

const id = (layer: number, i: number) => `l${layer}-${String(i).padStart(2, "0")}`;
const dirOf = (layer: number, i: number) => `layer${layer}/${id(layer, i)}`;

function atomToml(layer: number, i: number): string {
  const deps = layer === 0 ? [] : [i, (i + 1) % WIDTH].map((j) => `[deps.${id(layer - 1, j)}]\npath = "../../${dirOf(layer - 1, j)}"\nversion = "^1.0"\n`);
  const name = id(layer, i).replace("-", "_");
  return `[atom]\nid = "${id(layer, i)}"\nversion = "1.0.0"\n\n[srcs.main]\npath = "src"\n\n${deps.join("\n")}\n[build]\nkind = "c"\ncflags = ["-O2"]\n\n[build.lib.${name}]\nsources = ["${name}.c"]\nheaders = ["${name}.h"]\n`;
}

function cSource(layer: number, i: number, value: number): string {
  const name = id(layer, i).replace("-", "_");
  return `#include "${name}.h"\nint ${name}(void) { return ${value}; }\n`;
}

export async function run(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "eka-bench-review-"));
  const repo = join(tmp, "repo");
  const env: NodeJS.ProcessEnv = { ...process.env, EKA_STORE: join(tmp, "store"), EKA_CACHE: join(tmp, "cache"), EKA_DAEMON: "off", EKA_MIRRORS: "" };
  const saved = { EKA_STORE: process.env.EKA_STORE, EKA_CACHE: process.env.EKA_CACHE };
  process.env.EKA_STORE = env.EKA_STORE;
  process.env.EKA_CACHE = env.EKA_CACHE;
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", env });
  try {
    // bin/eka.js runs dist/: bring it up to date with the sources measured.
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: REPO, stdio: ["ignore", "ignore", "inherit"] });
    mkdirSync(repo, { recursive: true });
    git("init", "-q", "-b", "main");
    git("config", "user.email", "bench@eka");
    git("config", "user.name", "eka bench");
    const dirs: string[] = [];
    for (let layer = 0; layer < LAYERS; layer++) {
      for (let i = 0; i < WIDTH; i++) {
        const dir = join(repo, dirOf(layer, i));
        const name = id(layer, i).replace("-", "_");
        mkdirSync(join(dir, "src"), { recursive: true });
        writeFileSync(join(dir, "atom.toml"), atomToml(layer, i));
        writeFileSync(join(dir, "src", `${name}.h`), `int ${name}(void);\n`);
        writeFileSync(join(dir, "src", `${name}.c`), cSource(layer, i, i));
        dirs.push(dir);
      }
    }
    const lockAll = async () => {
      const t = performance.now();
      for (const d of dirs) await loadAtomGraph(d);
      return performance.now() - t;
    };
    const commit = async (message: string) => {
      const ms = await lockAll();
      git("add", "-A");
      git("commit", "-q", "-m", message);
      return { commit: git("rev-parse", "HEAD").trim(), lockMs: ms };
    };
    const base = await commit("base: 500 atoms");
    for (let k = 0; k < CHANGED; k++) {
      const i = k * (WIDTH / CHANGED);
      writeFileSync(join(repo, dirOf(CHANGED_LAYER, i), "src", `${id(CHANGED_LAYER, i).replace("-", "_")}.c`), cSource(CHANGED_LAYER, i, 1000 + i));
    }
    const head = await commit(`head: ${CHANGED} atoms of layer ${CHANGED_LAYER} changed`);
    console.log(`  repository: ${LAYERS * WIDTH} atoms, ${(LAYERS - 1) * WIDTH * 2} path dependencies; ${CHANGED} sources changed (locking every atom in-process: ${(head.lockMs / 1000).toFixed(1)} s)`);

    // Evaluation of both sides, in-process, as eka review runs it.
    const evalRounds: number[] = [];
    let changed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const t = performance.now();
      const cs = await withWorktree(repo, base.commit, (b) => withWorktree(repo, head.commit, async (h) => classify(await evaluateTree(b, base.commit), await evaluateTree(h, head.commit))));
      evalRounds.push(performance.now() - t);
      changed = cs.filter((c) => c.row.change === "changed").length;
    }
    const evalMs = median(evalRounds);
    console.log(`  evaluation of both revisions (2 worktrees, ${2 * LAYERS * WIDTH} atom.toml to IR and pids) + classify, in-process, median of ${ROUNDS}: ${(evalMs / 1000).toFixed(2)} s  (${(evalMs / (2 * LAYERS * WIDTH)).toFixed(2)} ms an atom; ${changed} atoms changed)`);

    // Where it goes: each atom is prepared alone, loading (and hashing) its whole closure again, so
    // the cost of an atom grows with its closure (layer L's has (L+1)(L+2)/2 atoms).
    const per = async (layer: number) => {
      const t = performance.now();
      for (let i = 0; i < 10; i++) await prepareAtom(join(repo, dirOf(layer, i)), {}, { frozen: true, write: false });
      return (performance.now() - t) / 10;
    };
    const [p0, p4, p9] = [await per(0), await per(4), await per(9)];
    console.log(`  prepareAtom of one atom, mean of 10: layer 0 (closure 1) ${p0.toFixed(1)} ms | layer 4 (closure 15) ${p4.toFixed(1)} ms | layer 9 (closure 55) ${p9.toFixed(1)} ms`);

    // The whole process, nothing built: the time to the verdict.
    const out = join(tmp, "out");
    const review = ["bin/eka.js", "review", base.commit, head.commit, "--repo", repo, "--max-builds", "0", "--no-progress", "-o", out];
    // timeSpawns throws on a non-zero exit: the review here is merge-safe (nothing newly failing).
    const [nodeMs, reviewMs] = timeSpawns([{ args: ["-e", "0"], env }, { args: review, env }], ROUNDS) as [number, number];
    const rv = JSON.parse(readFileSync(join(out, "review.json"), "utf8")) as Review;
    const html = readFileSync(join(out, "index.html"), "utf8").length;
    console.log(`  eka review --max-builds 0 (evaluate, classify, review.json/.md/index.html; nothing built), whole process, median of ${ROUNDS}: ${(reviewMs / 1000).toFixed(2)} s  (node -e 0: ${nodeMs.toFixed(0)} ms)`);
    console.log(`    verdict: ${rv.verdict.mergeSafe ? "merge-safe" : `not merge-safe (${rv.verdict.reasons.join(", ")})`}, exit 0; not built ${rv.counts["not-built"]}, unchanged ${rv.counts.unchanged}; index.html ${(html / 1024).toFixed(0)} KiB`);
  } finally {
    process.env.EKA_STORE = saved.EKA_STORE;
    process.env.EKA_CACHE = saved.EKA_CACHE;
    if (saved.EKA_STORE === undefined) delete process.env.EKA_STORE;
    if (saved.EKA_CACHE === undefined) delete process.env.EKA_CACHE;
    rmSync(tmp, { recursive: true, force: true });
  }
}
