// `eka run`: runs a program of a built package with its closure mounted read-only, the way a build
// step sees its inputs, plus the caller's working directory.
import { EkaError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { Mount, Runner } from "./runner.ts";
import type { SandboxHost } from "./sandbox.ts";

export interface RunProgramOptions {
  store: Store;
  runner: Runner;
  sandboxes: SandboxHost;
  /** Host directory shown to the program at `guestCwd` (its working directory). */
  hostCwd?: string;
  /** Default: the same path as hostCwd, so relative and absolute paths work alike. */
  guestCwd?: string;
  env?: Record<string, string>;
  /** More directories to show (e.g. an eka-run script's, read-only). */
  mounts?: Mount[];
  stdin?: Uint8Array;
  /** Stream the program's output (in-thread runners call these as it writes). */
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
}

/** Resolves `program` inside `storePath`: a path (`bin/x.wasm`) or a bare name found in bin/. */
export function resolveProgram(store: Store, storePath: string, program: string): string {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  const tree = store.view([storePath]);
  const candidates = program.includes("/") ? [program] : [`bin/${program}`, `bin/${program}.wasm`];
  for (const c of candidates) if (tree.stat(`${base}/${c}`)?.kind === "file") return c;
  const bins = tree.stat(`${base}/bin`) ? tree.readdir(`${base}/bin`) : [];
  throw new EkaError(
    "E_NO_PROGRAM",
    `${storePath} has no program '${program}'${bins.length ? `; it has: ${bins.sort().join(", ")}` : " (it has no bin/)"}`,
  );
}

/** Runs the program; returns its exit status and captured output. */
export async function runProgram(
  storePath: string,
  program: string,
  args: string[],
  opts: RunProgramOptions,
): Promise<{ exitCode: number; stdout: Uint8Array; stderr: Uint8Array }> {
  const { store } = opts;
  if (!store.has(storePath)) throw new EkaError("E_NOT_IN_STORE", `${storePath} is not in the store ${store.address}; build it first`);
  const rel = resolveProgram(store, storePath, program);
  const mounts: Mount[] = store.closure([storePath]).map((p) => opts.sandboxes.inputMount(store, p));
  // Without a host directory the program starts in its own package (a directory it can see).
  const guestCwd = opts.guestCwd ?? opts.hostCwd ?? storePath;
  if (opts.hostCwd) mounts.push({ guest: guestCwd, readonly: false, host: opts.hostCwd });
  mounts.push(...(opts.mounts ?? []));
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  return opts.runner.run({
    stepId: `run ${program}`,
    module: { key: `${storePath}/${rel}`, bytes: () => store.view([storePath]).readFile(`${base}/${rel}`) },
    args: [program.split("/").pop() ?? program, ...args],
    env: opts.env ?? {},
    cwd: guestCwd,
    mounts,
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
    ...(opts.stdout ? { stdout: opts.stdout } : {}),
    ...(opts.stderr ? { stderr: opts.stderr } : {}),
  });
}
