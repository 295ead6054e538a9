// Node-only: `eka bootstrap` — the chain from the pinned seed (bootstrap/chain.toml), with a table of
// what each stage built and what it was checked against; `eka bootstrap verify` checks the seed.
import { isEkaError, EkaError } from "../../errors.ts";
import { parseCommand, positiveInt, UsageError } from "../args.ts";
import { defaultRoot, runChain, verifySeedFiles, type StageRow } from "../bootstrap.ts";
import { interruptible } from "../interrupt.ts";
import { ProgressRenderer } from "../progress.ts";
import { seedMismatch } from "../../bootstrap/seed.ts";
import { NodeStore } from "../../store/open.node.ts";
import { openDefaultStore } from "./build.ts";
import { seconds, size } from "./build-set.ts";

export const summary = "Build the bootstrap chain from the pinned seed, checking every stage";
export const help = `Usage: eka bootstrap [options]
       eka bootstrap verify [--json]

Runs eka's bootstrap chain (bootstrap/chain.toml) into the store:
  stage 0  the seed (@yowasp/clang's LLVM module and sysroot), checked against the BLAKE3 pins
           in the repository before anything runs; a tampered seed stops the chain
  stage 1  wasi-libc rebuilt from Debian's source by the seed's clang, checked against
           upstream's expected symbol lists, its all-headers file and a program that must run
  stage 2  the package set (pkgs/) built against stage 1 (--libc=wasi-libc)
Then a table: stage, atom, pid, cid, size, time and what it was checked against.
What is already in the store is reused (from an empty store, everything is built).

'eka bootstrap verify' re-checks the seed's files against their pins and prints their sizes.

Options:
      --stages LIST    Stages to run, e.g. 0,1 (default 0,1,2)
      --root DIR       The directory holding bootstrap/ and the package set (default: eka's own)
      --runtime LIST   Build the chain from an empty store under each JavaScript runtime
                       (node, bun) and compare every cid; differences name the package, the
                       first differing file and the byte offset
      --matrix         Also across 1 vs 2 workers, two store locations, two checkout
                       directories, TZ/LANG/umask and the wall clock (implies --runtime=node,bun)
      --report FILE    With --runtime/--matrix: write the result as markdown (docs/reproducibility.md)
  -j, --jobs N         Run at most N build commands at once (default: one per core)
      --json           Print the rows as JSON: {ok, ms, stages: [{stage, atom, version, libc, pid,
                       storePath, cid, size, ms, checked, ok}]}
      --no-progress    Do not show progress
  -h, --help           Show this help
`;

const OPTIONS = {
  stages: { type: "string" },
  root: { type: "string" },
  runtime: { type: "string" },
  matrix: { type: "boolean" },
  report: { type: "string" },
  jobs: { type: "string", short: "j" },
  json: { type: "boolean" },
  "no-progress": { type: "boolean" },
} as const;

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === "verify") return verify(argv.slice(1));
  const { values } = parseCommand({ command: "eka bootstrap", help, options: OPTIONS, args: { name: "", min: 0, max: 0 } }, argv);
  const stages = parseStages(values.stages);
  if (values.runtime !== undefined || values.matrix) {
    const { matrixCommand, parseRuntimes } = await import("../../bootstrap/matrix.node.ts");
    const runtimes = values.runtime !== undefined ? parseRuntimes(values.runtime) : undefined;
    const argvOut = ["bootstrap", "--json", "--stages", stages.join(","), ...(values.root ? ["--root", values.root] : [])];
    const asked = ["eka bootstrap", values.matrix ? "--matrix" : `--runtime=${values.runtime}`, ...(values.stages ? [`--stages ${values.stages}`] : []), ...(values.report ? [`--report ${values.report}`] : [])].join(" ");
    return interruptible((signal) =>
      matrixCommand({ kinds: values.matrix ? "all" : "runtimes", ...(runtimes ? { runtimes } : {}), argv: argvOut, ...(values.report ? { report: values.report, reportCommand: asked } : {}), json: values.json === true, out: process.stdout, err: process.stderr, signal }),
    );
  }
  const root = values.root ?? defaultRoot();
  const jobs = positiveInt("eka bootstrap", "jobs", values.jobs);
  const t0 = performance.now();
  const quiet = values.json || values["no-progress"];
  const progress = quiet ? undefined : new ProgressRenderer(process.stderr, { tty: process.stderr.isTTY === true });
  const store = await openDefaultStore();
  if (!(store instanceof NodeStore)) throw new EkaError("E_STORE_ADDRESS", "eka bootstrap needs a file store (file:///dir), to check stage 1's files with the seed's tools");
  let rows: StageRow[];
  try {
    rows = await interruptible(
      (signal) => runChain({ root, stages, store, signal, ...(jobs ? { jobs } : {}), ...(progress ? { onProgress: progress.onEvent } : {}), say: (l) => void (quiet || process.stderr.write(`${l}\n`)) }),
      progress,
    );
  } catch (e) {
    if (isEkaError(e, "E_HASH_MISMATCH")) throw new EkaError("E_HASH_MISMATCH", `stage 0: ${e.message}\nThe chain stopped before anything ran.`);
    throw e;
  } finally {
    progress?.finish();
  }
  const ms = Math.round(performance.now() - t0);
  const ok = rows.every((r) => r.ok);
  if (values.json) process.stdout.write(JSON.stringify({ ok, ms, stages: rows }, null, 2) + "\n");
  else process.stdout.write(table(rows, ms));
  if (!ok) {
    const bad = rows.filter((r) => !r.ok);
    throw new EkaError(bad.some((r) => r.stage === 1) ? "E_BOOTSTRAP_CHECK" : "E_BUILD_FAILED", `bootstrap: ${bad.map((r) => `stage ${r.stage} ${r.atom}: ${r.checked}`).join("\n  ")}`);
  }
  return 0;
}

function parseStages(v: string | undefined): number[] {
  if (v === undefined) return [0, 1, 2];
  const stages = v.split(",").map((s) => s.trim());
  for (const s of stages) if (!["0", "1", "2"].includes(s)) throw new UsageError("eka bootstrap", `--stages ${v}: '${s}' is not a stage; the chain has stages 0, 1 and 2 (e.g. --stages 0,1)`);
  return [...new Set(stages.map(Number))].sort();
}

function table(rows: StageRow[], ms: number): string {
  const cells = rows.map((r) => [String(r.stage), `${r.atom}-${r.version}${r.libc ? ` (libc ${r.libc})` : ""}`, r.pid.slice(0, 12), r.cid.slice(0, 12), r.size ? size(r.size) : "-", seconds(r.ms), r.checked]);
  const head = ["stage", "atom", "pid", "cid", "size", "time", "checked against"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => c.map((v, i) => (i === 4 || i === 5 ? v.padStart(widths[i] as number) : i === 6 ? v : v.padEnd(widths[i] as number))).join("  ").trimEnd() + "\n";
  const failed = rows.filter((r) => !r.ok).length;
  return line(head) + cells.map(line).join("") + `${rows.length} rows, ${failed ? `${failed} FAILED` : "all checked"}, in ${seconds(ms)}\n`;
}

async function verify(argv: string[]): Promise<number> {
  const verifyHelp = `Usage: eka bootstrap verify [--json]

Re-checks the seed's two files (the LLVM module and the sysroot tar of @yowasp/clang) against
the BLAKE3 pins kept in the repository, and prints each file's size, hash and pin. Exits non-zero
naming both hashes when a file differs. Reads only the files; the store is not touched.

Options:
  --json      print {version, storePath, files: [{file, size, blake3, pin, ok}], ok}
  -h, --help  show this help
`;
  const { values } = parseCommand({ command: "eka bootstrap verify", help: verifyHelp, options: { json: { type: "boolean" } }, args: { name: "", min: 0, max: 0 } }, argv);
  const r = await verifySeedFiles();
  const ok = r.files.every((f) => f.ok);
  if (values.json) process.stdout.write(JSON.stringify({ ...r, ok }, null, 2) + "\n");
  else {
    process.stdout.write(`seed: @yowasp/clang ${r.version} (${r.storePath})\n`);
    for (const f of r.files) process.stdout.write(`  ${f.ok ? "ok      " : "MISMATCH"}  ${size(f.size).padStart(8)}  blake3:${f.blake3}  ${f.file}${f.pin === null ? "  (no pin for this version)" : ""}\n`);
  }
  const bad = r.files.find((f) => !f.ok);
  if (bad) throw seedMismatch(r.version, { ...bad, file: bad.file.endsWith(".wasm") ? "gen/llvm.core.wasm" : "gen/llvm-resources.tar" }, `(${bad.file}) Reinstall @yowasp/clang (npm ci); nothing was built.`);
  return 0;
}
