// Node: runs the bootstrap chain (bootstrap/chain.toml). Stage 0 checks the seed against its pins
// and imports it; stage 1 builds the C runtime from source with it and checks the result against
// upstream's expected lists; stage 2 builds the package set against stage 1. Each stage's rows
// carry what the stage was checked against.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve as resolvePath } from "node:path";
import { ensureSeed, installedSeedPath, readSeed, seedFiles, seedVersion } from "../bootstrap/seed.node.ts";
import { checkSeedFiles, seedStorePath, verifySeed, SEED_PINS, type SeedFileCheck } from "../bootstrap/seed.ts";
import { CHAIN_FILE, parseChain, type ChainSpec } from "../bootstrap/chain.ts";
import { EkaError } from "../errors.ts";
import { storePathOf } from "../ir/pid.ts";
import type { ProgressEvent } from "../builder/types.ts";
import { parseStorePath } from "../store/store-path.ts";
import type { NodeStore } from "../store/open.node.ts";
import { initBlake3 } from "../util/blake3.ts";
import { atomDirsFromArgs, buildPreparedEach, prepareAtom } from "./atoms.ts";
import { libcChecks } from "./bootstrap-checks.ts";

export interface StageRow {
  stage: number;
  atom: string;
  version: string;
  /** The libc a stage-2 package was built against; null for the seed and stage 1. */
  libc: string | null;
  pid: string;
  storePath: string;
  cid: string;
  /** NAR size of the output, bytes. */
  size: number;
  ms: number;
  /** What the output was checked against (or why it failed). */
  checked: string;
  ok: boolean;
}

export interface ChainOptions {
  /** The directory holding bootstrap/ (and the package set chain.toml names). */
  root: string;
  stages: number[];
  store: NodeStore;
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** One line per stage as it starts and ends. */
  say: (line: string) => void;
}

/** eka's own checkout or package directory: where bootstrap/ and pkgs/ are. */
export function defaultRoot(): string {
  for (let d = dirname(new URL(import.meta.url).pathname); d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, "bootstrap", CHAIN_FILE))) return d;
  }
  throw new EkaError("E_NOT_FOUND", `cannot find eka's bootstrap/${CHAIN_FILE} above ${dirname(new URL(import.meta.url).pathname)}; pass --root DIR (a directory holding bootstrap/)`);
}

export function loadChain(root: string): ChainSpec {
  const file = join(root, "bootstrap", CHAIN_FILE);
  if (!existsSync(file)) throw new EkaError("E_NOT_FOUND", `${file} does not exist; --root must name a directory holding bootstrap/${CHAIN_FILE}`);
  return parseChain(readFileSync(file, "utf8"), file);
}

/** Runs the stages asked for, in order; a failed stage stops the chain (later stages need it). */
export async function runChain(opts: ChainOptions): Promise<StageRow[]> {
  const chain = loadChain(opts.root);
  const base = dirname(chain.file);
  const rows: StageRow[] = [];
  if (opts.stages.includes(0)) rows.push(await stage0(opts));
  if (rows.some((r) => !r.ok)) return rows;
  // Stage 2 needs stage 1's store path whether or not stage 1 is asked for: it is built (or found).
  let libc: StageRow | undefined;
  if (opts.stages.includes(1) || opts.stages.includes(2)) {
    libc = await stage1(opts, join(base, chain.stage1.atom), opts.stages.includes(1));
    if (opts.stages.includes(1)) rows.push(libc);
    if (!libc.ok) return rows;
  }
  if (opts.stages.includes(2) && libc) rows.push(...(await stage2(opts, chain, base, libc)));
  return rows;
}

async function stage0(opts: ChainOptions): Promise<StageRow> {
  const t0 = performance.now();
  await initBlake3();
  opts.say("stage 0: the seed, checked against its pins");
  const version = seedVersion();
  // The files are hashed once: importing verifies them; a seed already in the store is verified here.
  const present = opts.store.has(installedSeedPath());
  if (present) verifySeed(version, await readSeed());
  const storePath = present ? installedSeedPath() : await ensureSeed(opts.store);
  const info = opts.store.queryPathInfo(storePath);
  const pinned = SEED_PINS[version] !== undefined;
  return {
    stage: 0,
    atom: "llvm-seed",
    version,
    libc: null,
    pid: parseStorePath(storePath).hashPart,
    storePath,
    cid: info?.cid ?? "",
    size: info?.narSize ?? 0,
    ms: Math.round(performance.now() - t0),
    checked: pinned ? `blake3 pins of @yowasp/clang ${version} (src/bootstrap/seed.ts)` : `no pins for @yowasp/clang ${version}: imported unchecked`,
    ok: true,
  };
}

async function stage1(opts: ChainOptions, dir: string, report: boolean): Promise<StageRow> {
  const t0 = performance.now();
  if (report) opts.say(`stage 1: ${basename(dir)} from source, with the seed's clang`);
  const prepared = await prepareAtom(dir, {}, { frozen: true });
  const [outcome] = (await buildPreparedEach([prepared], buildOptions(opts)))[0] ?? [];
  if (!outcome) throw new EkaError("E_BUILD_FAILED", `stage 1: ${dir} has no host platform to build`);
  const m = prepared.graph.manifest;
  if (!outcome.ok) throw outcome.error;
  const r = outcome.result;
  const row: StageRow = { stage: 1, atom: m.atom.id, version: m.atom.version, libc: null, pid: r.pid, storePath: r.storePath, cid: r.cid, size: r.narSize, ms: 0, checked: "", ok: true };
  if (report) {
    const checks = await libcChecks(opts.store, r.storePath);
    row.ok = checks.every((c) => c.ok);
    row.checked = checks.map((c) => (c.ok ? c.what : `FAILED: ${c.what} (${c.detail ?? "no detail"})`)).join("; ");
  }
  row.ms = Math.round(performance.now() - t0);
  return row;
}

async function stage2(opts: ChainOptions, chain: ChainSpec, base: string, libc: StageRow): Promise<StageRow[]> {
  const t0 = performance.now();
  const all = await atomDirsFromArgs([join(base, chain.stage2.set)]);
  const skipped = new Set(Object.keys(chain.stage2.skip));
  const dirs = all.filter((d) => !skipped.has(basename(d)));
  opts.say(`stage 2: ${dirs.length} packages of ${chain.stage2.set} against stage 1 (--${chain.stage2.provide}=${chain.stage2.choice}); ${skipped.size} left out`);
  const choices = { [chain.stage2.provide]: chain.stage2.choice };
  const prepared = await Promise.all(dirs.map((d) => prepareAtom(d, choices, { frozen: true })));
  const outcomes = await buildPreparedEach(prepared, buildOptions(opts));
  const ms = Math.round(performance.now() - t0);
  return prepared.map((p, i) => {
    const o = outcomes[i]?.[0];
    const m = p.graph.manifest;
    const row: StageRow = { stage: 2, atom: m.atom.id, version: m.atom.version, libc: chain.stage2.choice, pid: "", storePath: "", cid: "", size: 0, ms, checked: "", ok: false };
    if (!o || !o.ok) {
      row.checked = `FAILED: ${o && !o.ok ? (o.error instanceof Error ? o.error.message.split("\n")[0] : String(o.error)) : "not built"}`;
      return row;
    }
    // The stage-1 libc must be among the package's inputs: that is what makes it stage 2.
    const against = Object.values(p.roots[0]?.inputs ?? {}).some((input) => (typeof input === "string" ? input : storePathOf(input)) === libc.storePath);
    return { ...row, pid: o.result.pid, storePath: o.result.storePath, cid: o.result.cid, size: o.result.narSize, ok: against, checked: against ? `built against stage 1 (${basename(libc.storePath)})` : `FAILED: its inputs do not include stage 1 (${libc.storePath})` };
  });
}

function buildOptions(opts: ChainOptions) {
  return { store: opts.store, ...(opts.jobs ? { jobs: opts.jobs } : {}), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
}

export interface SeedFileReport extends Omit<SeedFileCheck, "file"> {
  file: string;
}

/** `eka bootstrap verify`: the seed's files, their sizes, hashes and pins (no store is touched). */
export async function verifySeedFiles(): Promise<{ version: string; storePath: string; files: SeedFileReport[] }> {
  await initBlake3();
  const version = seedVersion();
  const f = seedFiles();
  const checks = checkSeedFiles(version, await readSeed());
  const files = checks.map((c, i) => ({ ...c, file: resolvePath(i === 0 ? f.wasm : f.resources) }));
  return { version, storePath: seedStorePath(version), files };
}
