// Node-only: `eka build ATOM ATOM…` / `eka build pkgs` — several atoms built as one graph, then a
// table of what happened to each (or --json). A failed atom is reported and the rest still built.
import type { Choices } from "../../atom/to-ir.ts";
import type { LoadOptions } from "../../atom/resolve.node.ts";
import type { RootOutcome } from "../../builder/index.node.ts";
import type { ProgressEvent } from "../../builder/types.ts";
import { EkaError, isEkaError } from "../../errors.ts";
import type { Store } from "../../store/store.ts";
import { buildPreparedEach, prepareAtom, type BuildAtomOptions, type PreparedAtom } from "../atoms.ts";
import { interruptible } from "../interrupt.ts";
import type { ProgressRenderer } from "../progress.ts";
import { openDefaultStore } from "./build.ts";

export interface SetOptions {
  choices: Choices;
  load: LoadOptions;
  json: boolean;
  progress: ProgressRenderer | undefined;
  t0: number;
  options(store: Store, signal: AbortSignal): BuildAtomOptions;
}

interface Row {
  atom: string;
  version: string;
  host: string;
  dir: string;
  status: "built" | "cached" | "identical" | "differs" | "repaired" | "failed";
  ms: number | null;
  storePath: string | null;
  narSize: number | null;
  closureSize: number | null;
  error?: { code: string; message: string; package?: string };
}

export async function buildSet(dirs: string[], o: SetOptions): Promise<number> {
  const store = await openDefaultStore();
  // An atom that does not load (a bad atom.toml) is a failed row; the others are still built.
  const loaded = await Promise.all(dirs.map((d) => prepareAtom(d, o.choices, o.load).then((p) => ({ dir: d, p }), (e: unknown) => ({ dir: d, e }))));
  const ok = loaded.filter((l): l is { dir: string; p: PreparedAtom } => "p" in l);
  const ms = new Map<string, number>();
  let outcomes: RootOutcome[][];
  try {
    outcomes = await interruptible((signal) => {
      const base = o.options(store, signal);
      const onProgress = (e: ProgressEvent) => {
        if (e.type === "package-done") ms.set(e.storePath, e.ms);
        base.onProgress?.(e);
      };
      return buildPreparedEach(
        ok.map((l) => l.p),
        { ...base, onProgress },
      );
    }, o.progress);
  } finally {
    o.progress?.finish();
  }
  const rows: Row[] = [];
  for (const l of loaded) {
    if (!("p" in l)) {
      rows.push({ atom: l.dir.split("/").pop() ?? l.dir, version: "", host: "", dir: l.dir, status: "failed", ms: null, storePath: null, narSize: null, closureSize: null, error: errorOf(l.e) });
      continue;
    }
    const outs = outcomes[ok.indexOf(l)] ?? [];
    outs.forEach((out, i) => {
      const m = l.p.graph.manifest.atom;
      const base = { atom: m.id, version: m.version, host: l.p.roots[i]?.platform.host ?? "", dir: l.dir };
      if (!out.ok) {
        rows.push({ ...base, status: "failed", ms: null, storePath: null, narSize: null, closureSize: null, error: { ...errorOf(out.error), package: out.failed.name } });
        return;
      }
      const r = out.result;
      const status = r.check ? (r.check.identical ? "identical" : "differs") : r.repaired ? "repaired" : r.built ? "built" : "cached";
      rows.push({ ...base, status, ms: ms.get(r.storePath) ?? null, storePath: r.storePath, narSize: r.narSize, closureSize: r.closureSize });
    });
  }
  const total = Math.round(performance.now() - o.t0);
  if (o.json) process.stdout.write(JSON.stringify({ results: rows, ms: total }, null, 2) + "\n");
  else {
    process.stdout.write(table(rows, total));
    for (const r of rows.filter((r) => r.error)) process.stderr.write(`eka: ${r.atom}: error[${r.error?.code}]: ${r.error?.message}\n`);
  }
  const failed = rows.filter((r) => r.status === "failed").length;
  const differs = rows.filter((r) => r.status === "differs").length;
  if (differs) throw new EkaError("E_CHECK_DIFFERS", `${differs} of ${rows.length} packages differ when rebuilt; the build is not reproducible (eka build --check ATOM lists the files)`);
  if (failed) {
    process.stderr.write(`eka: ${failed} of ${rows.length} packages failed\n`);
    return 1;
  }
  return 0;
}

/** A user-caused failure as a row's error; anything else is a bug, and stops the command (exit 70). */
function errorOf(e: unknown): { code: string; message: string } {
  if (isEkaError(e)) return { code: e.code, message: e.message };
  throw e;
}

function table(rows: Row[], totalMs: number): string {
  const cells = rows.map((r) => [
    `${r.atom}${r.version ? `-${r.version}` : ""}`,
    r.status === "failed" && r.error?.package && !r.error.package.startsWith(`${r.atom}-`) ? `failed (${r.error.package})` : r.status,
    r.ms === null ? "-" : seconds(r.ms),
    r.narSize === null ? "-" : size(r.narSize),
    r.closureSize === null ? "-" : size(r.closureSize),
  ]);
  const head = ["package", "status", "time", "size", "closure"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  // Text columns left-aligned, numbers right-aligned.
  const line = (c: string[]) => c.map((v, i) => (i < 2 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number))).join("  ").trimEnd() + "\n";
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
  return line(head) + cells.map(line).join("") + `${rows.length} packages: ${summary} in ${seconds(totalMs)}\n`;
}

export const seconds = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

export function size(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
