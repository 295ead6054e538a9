// `eka run`: runs a program of a built package with its closure mounted read-only, the way a build
// step sees its inputs, plus the caller's working directory, through an executor like a step.
import { EkaError } from "../errors.ts";
import type { StdinReader } from "../runtime/options.ts";
import type { Store } from "../store/store.ts";
import type { ExecResult, Executor, Mount } from "./executor.ts";
import type { SandboxHost } from "./sandbox.ts";

export interface RunProgramOptions {
  store: Store;
  executor: Executor;
  sandboxes: SandboxHost;
  /** Host directory shown to the program at `guestCwd` (its working directory). */
  hostCwd?: string;
  /** Default: the same path as hostCwd, so relative and absolute paths work alike. */
  guestCwd?: string;
  env?: Record<string, string>;
  /** The program's argv[0]. Default: the program's file name. */
  argv0?: string;
  /** More directories to show (e.g. an eka-run script's, read-only). */
  mounts?: Mount[];
  /** Bytes, or a reader the in-thread executor calls when the program reads. */
  stdin?: Uint8Array | StdinReader;
  /** Stream the program's output (the in-thread executor calls these as it writes). */
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
  /** Fixed clocks and seeded randomness, as in a build step. Default true; `eka run` turns it off. */
  deterministic?: boolean;
}

/** Resolves `program` inside `storePath`: a path (`bin/x.wasm`) or a bare name found in bin/. */
export function resolveProgram(store: Store, storePath: string, program: string): string {
  const tree = store.pathTree(storePath);
  const candidates = program.includes("/") ? [program] : [`bin/${program}`, `bin/${program}.wasm`];
  for (const c of candidates) if (tree.stat(c)?.kind === "file") return c;
  const bins = tree.stat("bin") ? tree.readdir("bin") : [];
  throw new EkaError(
    "E_NO_PROGRAM",
    `${storePath} has no program '${program}'${bins.length ? `; it has: ${bins.sort().join(", ")}` : " (it has no bin/)"}`,
  );
}

/** Runs the program; returns its exit status and captured (or streamed) output. */
export async function runProgram(storePath: string, program: string, args: string[], opts: RunProgramOptions): Promise<ExecResult> {
  const { store } = opts;
  if (!store.has(storePath)) throw new EkaError("E_NOT_IN_STORE", `${storePath} is not in the store ${store.address}; build it first`);
  const rel = resolveProgram(store, storePath, program);
  const closure = store.closure([storePath]);
  const mounts: Mount[] = closure.map((p) => opts.sandboxes.inputMount(store, p));
  // Without a host directory the program starts in its own package (a directory it can see).
  const guestCwd = opts.guestCwd ?? opts.hostCwd ?? storePath;
  if (opts.hostCwd) mounts.push({ guest: guestCwd, readonly: false, host: opts.hostCwd });
  mounts.push(...(opts.mounts ?? []));
  const key = `${storePath}/${rel}`;
  return opts.executor.execute({
    stepId: `run ${program}`,
    command: {
      module: { key, bytes: () => store.readFile(storePath, rel) },
      args: [opts.argv0 ?? program.split("/").pop() ?? program, ...args],
      env: opts.env ?? {},
      cwd: guestCwd,
      ...(opts.deterministic === false ? { deterministic: false } : {}),
    },
    inputs: [],
    storePaths: closure,
    outputs: [],
    mounts,
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
    ...(opts.stdout ? { stdout: opts.stdout } : {}),
    ...(opts.stderr ? { stderr: opts.stderr } : {}),
  });
}
