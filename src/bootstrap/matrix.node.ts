/**
 * The reproducibility matrix: the same eka command run from an empty store under several
 * configurations (JavaScript runtime, workers, store location, checkout directory, TZ/LANG/umask,
 * wall clock), one after another, and every atom's cid compared across them. One result
 * structure (MatrixResult) is computed once; the terminal table, the JSON and
 * docs/reproducibility.md (renderReport) are plain renderings of it.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EkaError } from "../errors.ts";
import { removeReadOnlyTree } from "../store/checkout.node.ts";
import { openStore } from "../store/open.node.ts";
import type { Store } from "../store/store.ts";
import { atomicWrite, cacheDir } from "../util/host.node.ts";
import { compareStorePaths, type StoreDifference } from "./compare.node.ts";

export type Runtime = "node" | "bun";
export const RUNTIMES: readonly Runtime[] = ["node", "bun"];

/** `runtimes`: one configuration per runtime. `all`: every axis issue 12 asks for. */
export type MatrixKind = "runtimes" | "all";

/** One way of running the command. Everything not set is as the baseline has it. */
export interface MatrixConfig {
  /** Names the column and the progress line; unique within a matrix. */
  name: string;
  runtime: Runtime;
  /** Added to (and overriding) the environment eka runs in, e.g. { TZ: "Pacific/Chatham" }. */
  env?: Record<string, string>;
  /** Runs eka under `sh -c 'umask …; exec "$@"'`, e.g. 0o077. */
  umask?: number;
  /** EKA_WORKERS (default 2, this machine's core count). */
  workers?: number;
  /**
   * The checkout the command runs in (its cwd, and what `{root}` in argv stands for): a directory,
   * or "copy" for a copy of MatrixOptions.root's bootstrap/, pkgs/ and examples/ (with their
   * atom.lock files) made at another depth under another name. Default MatrixOptions.root.
   */
  root?: string;
  /** Where this config's fresh store goes; relative to the run's work directory. Must be missing or empty. */
  storeDir?: string;
  /**
   * A libfaketime FAKETIME spec for the wall clock ("2001-02-03 04:05:06" stands still there,
   * "@2001-02-03 04:05:06" starts there and moves). The monotonic clock stays real, so timers and
   * waits still run. Needs libfaketime (Debian: apt-get install faketime).
   */
  faketime?: string;
}

/** What one run reported for one atom; cid null when its JSON has none (it is read from the store). */
export interface MatrixRow {
  atom: string;
  storePath: string;
  cid: string | null;
}

export interface MatrixOptions {
  /**
   * eka's arguments after the global `--store` (which the matrix sets to a fresh store per config),
   * e.g. ["bootstrap", "--json", "--root", "{root}"] or ["build", "{root}/examples/greet-app", "--json"].
   * `{root}` stands for the config's checkout.
   */
  argv: readonly string[];
  /** The command's JSON on stdout → rows. Default parseEkaJson. */
  parse?: (json: unknown) => MatrixRow[];
  /** The eka checkout whose bin/eka.js runs (and whose node_modules/.bin/bun is Bun). Default: this one. */
  repo?: string;
  /** The checkout configs run in unless they name another. Default `repo`. */
  root?: string;
  /** Where stores, caches and checkout copies go. Default a new temp directory, removed afterwards. */
  workDir?: string;
  /** Keep the temp work directory (its stores) afterwards. */
  keep?: boolean;
  onStart?: (index: number, total: number, config: MatrixConfig) => void;
  onDone?: (index: number, total: number, run: ConfigRun) => void;
  signal?: AbortSignal;
}

/** same: the reference cid. differs: another cid (`difference` says where). other-pid: same bytes under another store path. */
export type CellStatus = "same" | "differs" | "other-pid" | "missing" | "failed";

export interface MatrixCell {
  atom: string;
  status: CellStatus;
  storePath: string | null;
  cid: string | null;
  /** For `differs`: the first differing file against the reference config's object. */
  difference?: StoreDifference;
  /** Why `difference` could not be found, or what else is known. */
  note?: string;
}

export interface ConfigRun {
  name: string;
  runtime: Runtime;
  /** What sets this config apart, in words ("EKA_WORKERS=1", "TZ=Pacific/Chatham, umask 077"). */
  description: string;
  /** The command exited 0 and its output parsed. */
  ok: boolean;
  exitCode: number | null;
  /** Why it failed: the output's problem or the last lines of its stderr. */
  error?: string;
  ms: number;
  storeDir: string;
  root: string;
  rows: MatrixRow[];
  /** One per atom of MatrixResult.atoms, in that order. */
  cells: MatrixCell[];
}

export interface MatrixResult {
  argv: string[];
  /** Every atom any config reported, in the order the first one to report it did. */
  atoms: string[];
  /** Per atom, the config whose cid the others are compared with (the first that built it). */
  reference: Record<string, string>;
  configs: ConfigRun[];
  facts: MatrixFacts;
  /** Every cell is `same`. */
  ok: boolean;
}

/** Facts about the machine that do not change from run to run. */
export interface MatrixFacts {
  platform: string;
  eka: string;
  runtimes: Partial<Record<Runtime, string>>;
  /** The libfaketime used for `faketime` configs, or null when none is installed. */
  libfaketime: string | null;
  /** The default locale (Intl) each runtime reports under the locale variables a config sets. */
  locale: { env: string; byRuntime: Partial<Record<Runtime, string>> } | null;
}

/**
 * The configurations of a kind. `runtimes` restricts the runtime axis (from `--runtime=node,bun`;
 * default both); the other axes of `all` run under the first runtime listed.
 */
export function defaultMatrix(kind: MatrixKind, runtimes: readonly Runtime[] = RUNTIMES): MatrixConfig[] {
  if (runtimes.length === 0) throw new EkaError("E_USAGE", "the matrix needs at least one runtime (--runtime=node,bun)");
  const configs: MatrixConfig[] = runtimes.map((r) => ({ name: r, runtime: r }));
  if (kind === "runtimes") return configs;
  const runtime = runtimes[0] as Runtime;
  return [
    ...configs,
    { name: "1 worker", runtime, workers: 1 },
    { name: "other store", runtime, storeDir: "other place/a longer, deeper/store" },
    { name: "other checkout", runtime, root: "copy" },
    { name: "TZ, LANG, umask", runtime, env: { TZ: "Pacific/Chatham", LANG: "tr_TR.UTF-8", LC_ALL: "tr_TR.UTF-8" }, umask: 0o077 },
    { name: "fixed clock", runtime, faketime: "2001-02-03 04:05:06" },
  ];
}

/** `node,bun` → ["node", "bun"]; an unknown name is E_USAGE naming the ones there are. */
export function parseRuntimes(list: string): Runtime[] {
  const names = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const n of names) {
    if (!(RUNTIMES as readonly string[]).includes(n)) {
      throw new EkaError("E_USAGE", `--runtime: '${n}' is not a runtime the matrix can run (choose from ${RUNTIMES.join(", ")}; Chromium is not wired yet)`);
    }
  }
  if (names.length === 0) throw new EkaError("E_USAGE", `--runtime needs a list, e.g. --runtime=${RUNTIMES.join(",")}`);
  return [...new Set(names)] as Runtime[];
}

/**
 * The rows of `eka bootstrap --json` ({stages: [{atom, storePath, cid}]}) or of `eka build --json`
 * ({results: [{atom, storePath, cid?}]}; a failed atom of a set has no storePath and is left out).
 */
export function parseEkaJson(json: unknown): MatrixRow[] {
  const obj = json as { stages?: unknown; results?: unknown } | null;
  const list = Array.isArray(obj?.stages) ? obj.stages : Array.isArray(obj?.results) ? obj.results : null;
  if (!list) throw new Error("the output has neither `stages` nor `results`");
  const rows: MatrixRow[] = [];
  for (const r of list as Array<Record<string, unknown>>) {
    if (typeof r.atom !== "string" || typeof r.storePath !== "string") continue;
    rows.push({ atom: r.atom, storePath: r.storePath, cid: typeof r.cid === "string" ? r.cid : null });
  }
  return rows;
}

/**
 * Runs `<runtime> <repo>/bin/eka.js --store file://<fresh dir> <argv…>` once per config, one after
 * another (the machine has 2 cores), each with a fresh store and a fresh EKA_CACHE (mirrors of
 * the calling environment are kept in EKA_MIRRORS) and without the daemon, then compares every
 * atom's cid with the first config that reported it, and finds the first differing file of each
 * difference in the two stores.
 */
export async function runMatrix(configs: readonly MatrixConfig[], opts: MatrixOptions): Promise<MatrixResult> {
  const names = new Set<string>();
  for (const c of configs) {
    if (names.has(c.name)) throw new EkaError("E_USAGE", `two matrix configurations are named '${c.name}'; give each its own name`);
    names.add(c.name);
  }
  const repo = resolve(opts.repo ?? ekaRepo());
  const root = resolve(opts.root ?? repo);
  const parse = opts.parse ?? parseEkaJson;
  const ownWorkDir = opts.workDir === undefined;
  const workDir = opts.workDir ? resolve(opts.workDir) : await mkdtemp(join(tmpdir(), "eka-matrix-"));
  const libfaketime = findLibfaketime();
  const stores = new Map<string, Store>();
  const runs: ConfigRun[] = [];
  try {
    for (const [i, c] of configs.entries()) {
      opts.onStart?.(i, configs.length, c);
      const run = await runConfig(c, i, { ...opts, repo, root, parse, workDir, libfaketime });
      if (!run.description) run.description = i === 0 ? baselineDescription() : c.runtime !== configs[0]?.runtime ? `the runtime: ${c.runtime}` : "nothing (the baseline again)";
      if (run.ok || existsSync(join(run.storeDir, "eka-store"))) {
        try {
          const store = await openStore(pathToFileURL(run.storeDir).href, { create: false });
          stores.set(c.name, store);
          fillCids(run, store);
        } catch (e) {
          fail(run, `its store ${run.storeDir} could not be read: ${(e as Error).message}`);
        }
      }
      runs.push(run);
      opts.onDone?.(i, configs.length, run);
    }
    const { atoms, reference } = compareRuns(runs, stores);
    return {
      argv: [...opts.argv],
      atoms,
      reference,
      configs: runs,
      facts: await factsFor(configs, repo, libfaketime),
      ok: runs.every((r) => r.ok && r.cells.every((c) => c.status === "same")),
    };
  } finally {
    for (const s of stores.values()) s.close();
    if (ownWorkDir && !opts.keep) removeTree(workDir);
  }
}

export interface MatrixCommandOptions {
  /** A kind of defaultMatrix, or configurations of one's own. */
  kinds: MatrixKind | readonly MatrixConfig[];
  /** The runtime axis for a kind (`--runtime=node,bun`). Default node and bun. */
  runtimes?: readonly Runtime[];
  /**
   * eka's arguments, as for runMatrix. For `bootstrap`, a `--root DIR` among them becomes the
   * checkout configs start from, and `--root {root}` is added so every config builds its own.
   */
  argv: readonly string[];
  /** Write renderReport's markdown here (docs/reproducibility.md). */
  report?: string;
  /** The command line the report's header names as the one that made it. */
  reportCommand?: string;
  /** Print the MatrixResult as JSON on `out` instead of the table. */
  json: boolean;
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  parse?: (json: unknown) => MatrixRow[];
  repo?: string;
  workDir?: string;
  keep?: boolean;
  signal?: AbortSignal;
}

/**
 * The CLI's door (`eka bootstrap --runtime=node,bun`, `--matrix`, `--report FILE`): progress per
 * config on `err`, the table (or JSON) on `out`, the report file if asked. Exit 0 when every cid
 * matches; 1 otherwise, with one line on `err` per difference naming the package, the first
 * differing file and the byte offset.
 */
export async function matrixCommand(o: MatrixCommandOptions): Promise<number> {
  const configs = typeof o.kinds === "string" ? defaultMatrix(o.kinds, o.runtimes) : o.kinds;
  const { argv, root } = rootArgv(o.argv);
  const t0 = performance.now();
  const result = await runMatrix(configs, {
    argv,
    ...(root !== undefined ? { root } : {}),
    ...(o.parse ? { parse: o.parse } : {}),
    ...(o.repo !== undefined ? { repo: o.repo } : {}),
    ...(o.workDir !== undefined ? { workDir: o.workDir } : {}),
    ...(o.keep !== undefined ? { keep: o.keep } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onStart: (i, n, c) => o.err.write(`[${i + 1}/${n}] ${c.name}: running ${c.runtime}${describeConfig(c) ? ` (${describeConfig(c)})` : ""}…\n`),
    onDone: (i, n, r) => o.err.write(`[${i + 1}/${n}] ${r.name}: ${r.ok ? `${r.rows.length} atom${r.rows.length === 1 ? "" : "s"}` : `failed${r.exitCode !== null ? ` (exit ${r.exitCode})` : ""}`}, ${(r.ms / 1000).toFixed(1)} s\n`),
  });
  if (o.report) atomicWrite(resolve(o.report), renderReport(result, o.reportCommand ? { command: o.reportCommand } : {}));
  o.out.write(o.json ? JSON.stringify(result, null, 2) + "\n" : renderTable(result));
  for (const line of problems(result)) o.err.write(`eka: ${line}\n`);
  const total = ((performance.now() - t0) / 1000).toFixed(1);
  if (result.ok) o.err.write(`eka: every cid matches across ${result.configs.length} configurations (${result.atoms.length} atom${result.atoms.length === 1 ? "" : "s"}, ${total} s)\n`);
  return result.ok ? 0 : 1;
}

/** One line per problem: a failed config, a missing atom, a differing cid with its first differing file. */
export function problems(result: MatrixResult): string[] {
  const lines: string[] = [];
  for (const run of result.configs) {
    if (!run.ok) lines.push(`${run.name}: the run failed: ${run.error ?? "no output"}`);
    for (const cell of run.cells) {
      const ref = result.reference[cell.atom] ?? "";
      if (cell.status === "differs") lines.push(`${run.name}: ${cell.atom} differs from ${ref}: ${whereDiffers(cell)}`);
      else if (cell.status === "other-pid") lines.push(`${run.name}: ${cell.atom} has the same bytes as in ${ref} but another store path (${cell.storePath}): its pid changed`);
      else if (cell.status === "missing") lines.push(`${run.name}: ${cell.atom} was not reported (${ref} built it)`);
    }
  }
  return lines;
}

export interface ReportOptions {
  /** The command that makes the file, for its header. */
  command?: string;
  /** Markdown for the section on macOS and Windows; default a placeholder naming what is not simulated. */
  osSimulation?: string;
}

/** What test/store/host-rules.test.ts shows of other systems, and what it cannot. */
const OS_SIMULATION = `There is no macOS or Windows machine here. eka's host side (reading \`atom.toml\` and path
sources, hashing them into pids and cids) runs on Linux under the other systems' rules instead,
with \`EKA_HOST_RULES=darwin|win32\` (\`src/store/host-rules.node.ts\`), and
\`test/store/host-rules.test.ts\` shows, with real directories and real git:

- one atom (non-ASCII names, a binary file holding CRLF, a file committed with CRLF, an
  \`eol=crlf\` file) has one pid and one cid built as written, under \`darwin\` rules with its
  names NFD on disk, and from a real \`git clone -c core.autocrlf=true\` (a CRLF work tree) under
  \`win32\` rules (path sources in a git work tree are read as git stores them);
- names that differ only in case (under macOS rules also only in NFC/NFD form) stop the build
  with \`E_CASE_COLLISION\` naming both paths; a symlink under Windows rules stops it with
  \`E_SYMLINK_UNSUPPORTED\`; Windows path forms (\`C:\\repo\\a\\b.c\` → \`a/b.c\`) are checked
  at the level of the path functions with \`path.win32\`.

What a real macOS or Windows run would still need to confirm:

- case twins checked out by git on a real case-insensitive disk (git leaves one file: eka then
  sees a tree that differs from the lock, \`E_HASH_MISMATCH\`, not \`E_CASE_COLLISION\`);
- the exact case folding of APFS and NTFS (eka folds with JavaScript's \`toLowerCase\` after NFC);
  HFS+ returning NFD names where APFS keeps them as given;
- real \`node:fs\` on Windows: \`\\\`, drive-letter and \`realpath\` case, paths over 260
  characters, reserved names, symlinks with and without developer mode (\`core.symlinks\`);
- a case-insensitive \`/build\` inside the sandbox (\`#include "Foo.h"\` finding \`foo.h\`);
- line endings beyond \`core.autocrlf\` and eol attributes (\`core.eol\`, \`working-tree-encoding\`,
  filters such as LFS); fetched git sources are not read under the other systems' rules.`;

/** docs/reproducibility.md: the configs, one atom × config table, the run's facts, and what other OSes need. */
export function renderReport(result: MatrixResult, opts: ReportOptions = {}): string {
  const command = opts.command ?? "eka bootstrap --matrix --report docs/reproducibility.md";
  const out: string[] = [];
  out.push(`<!-- Generated by \`${command}\`. Do not edit by hand: run the command again. -->`);
  out.push("# Reproducibility", "");
  out.push(`_This file is generated by \`${command}\`, never edited by hand._`, "");
  out.push(
    `\`eka ${result.argv.join(" ")}\` ran once per configuration below, one after another, each from an empty store ` +
      "and a fresh cache directory, without the daemon (`{root}` is the configuration's checkout). " +
      "Every atom's cid is compared with that of the first configuration that built it; where it differs, " +
      "the first differing file and byte offset in the two stores are given.",
    "",
  );
  out.push("## Configurations", "", "| configuration | runtime | what is changed |", "|---|---|---|");
  for (const r of result.configs) out.push(`| ${mdCell(r.name)} | ${r.runtime} | ${mdCell(r.description)} |`);
  out.push("", "## Result", "");
  if (result.atoms.length === 0) out.push("No configuration reported any atom.");
  else {
    out.push(`| atom | cid | ${result.configs.map((r) => mdCell(r.name)).join(" | ")} |`, `|---|---|${result.configs.map(() => "---|").join("")}`);
    for (const [i, atom] of result.atoms.entries()) {
      const refName = result.reference[atom];
      const ref = result.configs.find((r) => r.name === refName)?.cells[i];
      const cells = result.configs.map((r) => statusText(r.cells[i]));
      out.push(`| ${mdCell(atom)} | ${ref?.cid ? `\`${ref.cid.slice(0, 16)}…\`` : "—"} | ${cells.join(" | ")} |`);
    }
  }
  const lines = problems(result);
  out.push("", lines.length ? `**${lines.length} problem${lines.length === 1 ? "" : "s"}:**` : "Every cid matches.", "");
  for (const l of lines) out.push(`- ${l}`);
  if (lines.length) out.push("");
  out.push("## Facts", "");
  out.push(`- eka ${result.facts.eka} on ${result.facts.platform}`);
  for (const [name, version] of Object.entries(result.facts.runtimes)) out.push(`- ${name}: ${version}`);
  out.push(`- libfaketime: ${result.facts.libfaketime ?? "not installed (the clock configurations fail without it)"}`);
  const loc = result.facts.locale;
  if (loc) {
    const each = Object.entries(loc.byRuntime).map(([r, l]) => `${r} ${l}`).join(", ");
    out.push(`- Under \`${loc.env}\` the runtimes' default locale (Intl) is: ${each}. The variables are set whether or not the C library has the locale installed.`);
  }
  out.push("", "## What a real macOS or Windows run would still need to confirm", "");
  out.push(
    opts.osSimulation ?? OS_SIMULATION,
  );
  out.push("");
  return out.join("\n");
}

/** The terminal table: atom, the reference cid, one column per config. */
export function renderTable(result: MatrixResult): string {
  const head = ["atom", "cid", ...result.configs.map((r) => r.name)];
  const rows = result.atoms.map((atom, i) => {
    const ref = result.configs.find((r) => r.name === result.reference[atom])?.cells[i];
    return [atom, ref?.cid ? ref.cid.slice(0, 12) : "-", ...result.configs.map((r) => statusText(r.cells[i]))];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) => cells.map((s, c) => s.padEnd(widths[c] ?? 0)).join("  ").trimEnd() + "\n";
  return line(head) + rows.map(line).join("");
}

/** What sets a config apart from the baseline, in words. */
export function describeConfig(c: MatrixConfig): string {
  const parts: string[] = [];
  if (c.workers !== undefined) parts.push(`EKA_WORKERS=${c.workers}`);
  if (c.storeDir !== undefined) parts.push(`store at <work dir>/${c.storeDir}`);
  if (c.root === "copy") parts.push("a copy of the checkout (bootstrap/, pkgs/, examples/) elsewhere");
  else if (c.root !== undefined) parts.push(`checkout ${c.root}`);
  for (const [k, v] of Object.entries(c.env ?? {})) parts.push(`${k}=${v}`);
  if (c.umask !== undefined) parts.push(`umask ${c.umask.toString(8).padStart(3, "0")}`);
  if (c.faketime !== undefined) parts.push(`wall clock FAKETIME="${c.faketime}"${c.faketime.startsWith("@") || /^[+-]/.test(c.faketime) ? "" : " (standing still)"}`);
  return parts.join(", ");
}

/** The first config, as the environment gives it. */
function baselineDescription(): string {
  const v = (k: string) => `${k}=${process.env[k] || "(unset)"}`;
  return `the baseline: the real, moving wall clock, EKA_WORKERS=2, ${v("TZ")}, ${v("LANG")}, ${v("LC_ALL")}, umask ${process.umask().toString(8).padStart(3, "0")}`;
}

interface RunContext extends MatrixOptions {
  repo: string;
  root: string;
  parse: (json: unknown) => MatrixRow[];
  workDir: string;
  libfaketime: string | null;
}

async function runConfig(c: MatrixConfig, index: number, ctx: RunContext): Promise<ConfigRun> {
  const base = join(ctx.workDir, `${index + 1}-${c.name.replace(/[^A-Za-z0-9._-]+/g, "-")}`);
  const storeDir = c.storeDir !== undefined ? resolve(ctx.workDir, c.storeDir) : join(base, "store");
  const run: ConfigRun = { name: c.name, runtime: c.runtime, description: describeConfig(c), ok: false, exitCode: null, ms: 0, storeDir, root: ctx.root, rows: [], cells: [] };
  try {
    if (existsSync(storeDir) && readdirSync(storeDir).length > 0) {
      return fail(run, `its store directory ${storeDir} is not empty; the matrix builds from an empty store`);
    }
    run.root = c.root === "copy" ? await copyCheckout(ctx.root, join(base, "elsewhere", "checkout")) : resolve(c.root ?? ctx.root);
    await mkdir(join(base, "cache"), { recursive: true });
    const { command, args, env } = commandFor(c, ctx, run.root, storeDir, join(base, "cache"));
    const t0 = performance.now();
    const child = await runChild(command, args, { env, cwd: run.root, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    run.ms = Math.round(performance.now() - t0);
    run.exitCode = child.code;
    let rows: MatrixRow[] | null = null;
    try {
      rows = ctx.parse(JSON.parse(child.stdout));
    } catch (e) {
      if (child.code === 0) return fail(run, `its output is not the JSON the matrix reads (${(e as Error).message})${tail(child.stderr)}`);
    }
    run.rows = rows ?? [];
    if (child.code !== 0) return fail(run, `eka exited with ${child.code ?? child.signal}${tail(child.stderr)}`);
    run.ok = true;
    return run;
  } catch (e) {
    if (e instanceof EkaError) return fail(run, e.message);
    throw e;
  }
}

function commandFor(c: MatrixConfig, ctx: RunContext, root: string, storeDir: string, cache: string): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const runtime = runtimeBinary(c.runtime, ctx.repo);
  const eka = [join(ctx.repo, "bin", "eka.js"), "--store", pathToFileURL(storeDir).href, ...ctx.argv.map((a) => a.replaceAll("{root}", root))];
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.EKA_STORE;
  // The fresh cache would hide the mirrors kept in the caller's cache: name them explicitly.
  const ownMirror = join(cacheDir(), "mirror");
  const mirrors = [process.env.EKA_MIRRORS ?? "", existsSync(ownMirror) ? ownMirror : ""].filter((m) => m !== "").join(" ");
  Object.assign(env, { EKA_CACHE: cache, EKA_DAEMON: "off", EKA_WORKERS: String(c.workers ?? 2) }, mirrors ? { EKA_MIRRORS: mirrors } : {});
  if (c.faketime !== undefined) {
    if (!ctx.libfaketime) throw new EkaError("E_NOT_FOUND", `the configuration '${c.name}' needs libfaketime, which is not installed (Debian: apt-get install faketime)`);
    Object.assign(env, {
      LD_PRELOAD: [ctx.libfaketime, process.env.LD_PRELOAD].filter(Boolean).join(" "),
      FAKETIME: c.faketime,
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    });
  }
  Object.assign(env, c.env ?? {});
  if (c.umask === undefined) return { command: runtime, args: eka, env };
  const mask = c.umask.toString(8).padStart(3, "0");
  return { command: "/bin/sh", args: ["-c", `umask ${mask}; exec "$@"`, "sh", runtime, ...eka], env };
}

function runtimeBinary(runtime: Runtime, repo: string): string {
  if (runtime === "node") return process.versions.bun ? "node" : process.execPath;
  const bun = join(repo, "node_modules", ".bin", "bun");
  if (!existsSync(bun)) throw new EkaError("E_NOT_FOUND", `Bun is not installed at ${bun}; run 'npm ci' in ${repo} (bun is a dev dependency)`);
  return bun;
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end without blocking the event loop; stderr keeps its last 64 KiB. */
function runChild(command: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd: string; signal?: AbortSignal }): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: o.env, cwd: o.cwd, stdio: ["ignore", "pipe", "pipe"], ...(o.signal ? { signal: o.signal } : {}) });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => {
      err = (err + b.toString("utf8")).slice(-65536);
    });
    child.on("error", (e) => {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") reject(new EkaError("E_NOT_FOUND", `cannot run ${command}: it does not exist`));
      else reject(e);
    });
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: err }));
  });
}

/** Rows without a cid (eka build of a set) take it from the run's store. */
function fillCids(run: ConfigRun, store: Store): void {
  for (const row of run.rows) {
    if (row.cid !== null) continue;
    const info = store.queryPathInfo(row.storePath);
    if (info) row.cid = info.cid;
  }
}

function compareRuns(runs: ConfigRun[], stores: Map<string, Store>): { atoms: string[]; reference: Record<string, string> } {
  const atoms: string[] = [];
  const reference: Record<string, string> = {};
  const rowsOf = new Map<ConfigRun, Map<string, MatrixRow>>();
  for (const run of runs) {
    const byAtom = new Map<string, MatrixRow>();
    for (const row of run.rows) {
      let key = row.atom;
      for (let n = 2; byAtom.has(key); n++) key = `${row.atom} #${n}`;
      byAtom.set(key, row);
      if (!(key in reference) && row.cid !== null) {
        reference[key] = run.name;
        atoms.push(key);
      }
    }
    rowsOf.set(run, byAtom);
  }
  for (const run of runs) {
    run.cells = atoms.map((atom) => {
      const row = rowsOf.get(run)?.get(atom);
      if (!row || row.cid === null) return { atom, status: run.ok ? "missing" : "failed", storePath: row?.storePath ?? null, cid: null };
      const refRun = runs.find((r) => r.name === reference[atom]) as ConfigRun;
      const ref = rowsOf.get(refRun)?.get(atom) as MatrixRow;
      const cell: MatrixCell = { atom, status: "same", storePath: row.storePath, cid: row.cid };
      if (row.cid === ref.cid) {
        if (row.storePath !== ref.storePath) cell.status = "other-pid";
        return cell;
      }
      cell.status = "differs";
      const a = stores.get(refRun.name);
      const b = stores.get(run.name);
      if (!a || !b) return { ...cell, note: "a store to compare is missing" };
      try {
        const d = compareStorePaths(a, ref.storePath, b, row.storePath);
        if (d) cell.difference = d;
        else cell.note = "the cids differ but the trees compare equal";
      } catch (e) {
        cell.note = `the trees could not be compared: ${(e as Error).message}`;
      }
      return cell;
    });
  }
  return { atoms, reference };
}

async function factsFor(configs: readonly MatrixConfig[], repo: string, libfaketime: string | null): Promise<MatrixFacts> {
  const runtimes: Partial<Record<Runtime, string>> = {};
  const localeConfig = configs.find((c) => c.env?.LANG !== undefined || c.env?.LC_ALL !== undefined);
  const localeEnv = Object.fromEntries(Object.entries(localeConfig?.env ?? {}).filter(([k]) => k === "LANG" || k.startsWith("LC_")));
  const locales: Partial<Record<Runtime, string>> = {};
  const probe = "console.log(JSON.stringify({ versions: process.versions, locale: Intl.DateTimeFormat().resolvedOptions().locale }))";
  for (const r of new Set(configs.map((c) => c.runtime))) {
    try {
      const bin = runtimeBinary(r, repo);
      const v = (JSON.parse((await runChild(bin, ["-e", probe], { env: process.env, cwd: repo })).stdout) as { versions: Record<string, string> }).versions;
      runtimes[r] = r === "bun" ? `Bun ${v.bun} (JavaScriptCore, WebKit ${(v.webkit ?? "?").slice(0, 12)})` : `Node ${v.node} (V8 ${v.v8})`;
      if (localeConfig) {
        const res = await runChild(bin, ["-e", probe], { env: { ...process.env, ...localeEnv }, cwd: repo });
        locales[r] = (JSON.parse(res.stdout) as { locale: string }).locale;
      }
    } catch (e) {
      runtimes[r] = `unknown (${(e as Error).message})`;
    }
  }
  let eka = "?";
  try {
    eka = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    // A checkout without package.json still runs; the version is only a fact for the report.
  }
  const locale = localeConfig ? { env: Object.entries(localeEnv).map(([k, v]) => `${k}=${v}`).join(" "), byRuntime: locales } : null;
  return { platform: `${process.platform} ${process.arch}`, eka, runtimes, libfaketime, locale };
}

/** The multithreaded libfaketime (eka runs worker threads), where Debian and others put it. */
function findLibfaketime(): string | null {
  const dirs = ["/usr/lib", "/usr/lib64", "/usr/local/lib"];
  for (const d of dirs) {
    const direct = join(d, "faketime", "libfaketimeMT.so.1");
    if (existsSync(direct)) return direct;
    let subs: string[] = [];
    try {
      subs = readdirSync(d);
    } catch {
      continue;
    }
    for (const s of subs) {
      const p = join(d, s, "faketime", "libfaketimeMT.so.1");
      if (existsSync(p)) return p;
    }
  }
  return null;
}

const CHECKOUT_PARTS = ["bootstrap", "pkgs", "examples"];

async function copyCheckout(from: string, to: string): Promise<string> {
  await mkdir(to, { recursive: true });
  const present = new Set(await readdir(from));
  const parts = CHECKOUT_PARTS.filter((p) => present.has(p));
  if (parts.length === 0) throw new EkaError("E_NOT_FOUND", `${from} holds none of ${CHECKOUT_PARTS.join(", ")}/ to copy as another checkout; give the matrix an eka checkout as its root`);
  for (const p of parts) await cp(join(from, p), join(to, p), { recursive: true, verbatimSymlinks: true });
  // A checkout is a git work tree, which is what lets an atom name paths beside it (../greet-lib).
  const git = await runChild("git", ["init", "-q"], { env: process.env, cwd: to });
  if (git.code !== 0) throw new EkaError("E_GIT", `'git init' in the checkout copy ${to} failed${tail(git.stderr)}`);
  return to;
}

/** The eka checkout this module belongs to: the nearest directory above it with bin/eka.js. */
function ekaRepo(): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    if (existsSync(join(d, "bin", "eka.js")) && existsSync(join(d, "package.json"))) return d;
    if (dirname(d) === d) throw new EkaError("E_NOT_FOUND", `cannot find eka's checkout (bin/eka.js) above ${fileURLToPath(import.meta.url)}; pass the matrix a repo`);
  }
}

/** `--root DIR` in a bootstrap argv becomes the matrix's root; every config then gets `--root {root}`. */
function rootArgv(argv: readonly string[]): { argv: string[]; root?: string } {
  const out = [...argv];
  let root: string | undefined;
  for (let i = 0; i < out.length; i++) {
    const a = out[i] as string;
    if (a === "--root" && i + 1 < out.length && out[i + 1] !== "{root}") {
      root = out[i + 1];
      out[i + 1] = "{root}";
    } else if (a.startsWith("--root=") && a !== "--root={root}") {
      root = a.slice("--root=".length);
      out[i] = "--root={root}";
    }
  }
  if (out[0] === "bootstrap" && !out.some((a) => a.includes("{root}"))) out.push("--root", "{root}");
  return root !== undefined ? { argv: out, root: isAbsolute(root) ? root : resolve(root) } : { argv: out };
}

function fail(run: ConfigRun, error: string): ConfigRun {
  run.ok = false;
  run.error = error;
  return run;
}

function tail(stderr: string): string {
  const lines = stderr.trimEnd().split("\n").filter((l) => l.trim() !== "").slice(-3);
  return lines.length ? `: ${lines.join(" / ")}` : "";
}

function whereDiffers(c: MatrixCell): string {
  const d = c.difference;
  if (!d) return c.note ?? "cid differs";
  const file = d.path === "" ? `${c.storePath}` : `${c.storePath}/${d.path}`;
  switch (d.kind) {
    case "content":
      return `${file} differs at byte ${d.offset}`;
    case "missing":
      return `${file} exists only ${d.missingFrom === "a" ? "here" : "in the reference"}`;
    case "type":
      return `${file} is another kind of file (file, directory or symlink)`;
    case "mode":
      return `${file} has the same bytes but another executable bit`;
  }
}

function statusText(c: MatrixCell | undefined): string {
  if (!c) return "—";
  if (c.status === "differs") return c.difference?.kind === "content" ? `differs (${c.difference.path || "."} @${c.difference.offset})` : c.difference ? `differs (${c.difference.path || "."}: ${c.difference.kind})` : "differs";
  return c.status === "other-pid" ? "same bytes, other pid" : c.status;
}

function mdCell(s: string): string {
  return s.replaceAll("|", "\\|");
}

function removeTree(dir: string): void {
  try {
    removeReadOnlyTree(dir);
  } catch {
    // A temp directory left behind is harmless; the result is already computed.
  }
}
