// Node's build host: the executor (the worker pool, or this thread with `workers: 0`), host temp
// directories as sandboxes, sources from disk/http/git, and build state (action cache, logs,
// locks) in a file store's directory. The executors are loaded only when a host is made.
import { join } from "node:path";
import { fileBackendOf } from "../store/open.node.ts";
import type { Store } from "../store/store.ts";
import type { Executor } from "./executor.ts";
import { NodeSandboxHost } from "./sandbox.node.ts";
import type { SourceHost } from "./sources.ts";
import { nodeSourceHost } from "./sources.node.ts";
import { buildStateFor } from "./build-state.node.ts";
import type { BuildHost } from "./types.ts";

export interface NodeHostOptions {
  /** Worker count; 0 runs steps in this thread. Default: the machine's parallelism. */
  workers?: number;
  /** Resolves relative `path` sources. Default: process.cwd(). */
  baseDir?: string;
  /**
   * Maps a `path` source as the IR writes it to the host path to read (the CLI maps atoms'
   * `<id>@<version>/<path>` keys to their directories). Default: the path itself, against baseDir.
   */
  pathSource?: (path: string) => string;
  /** Mirrors (directories or http(s) base URLs) tried before urls. Default: EKA_MIRRORS. */
  mirrors?: readonly string[];
  executor?: Executor;
  /** Wall-time limit of one command, in ms. */
  timeoutMs?: number;
}

export async function nodeBuildHost(store: Store, opts: NodeHostOptions = {}): Promise<BuildHost> {
  const executor = opts.executor ?? (await nodeExecutor(opts.workers, opts.timeoutMs));
  // File stores keep sandboxes in <store>/builds, where a later build sweeps what a killed one left.
  const fb = fileBackendOf(store.backend);
  const sandboxes = new NodeSandboxHost(fb ? join(fb.root, "builds") : undefined);
  if (fb) sandboxes.sweepStale();
  const disk = nodeSourceHost(opts.baseDir, opts.mirrors);
  const map = opts.pathSource;
  const sources: SourceHost = map ? { ...disk, readPath: (p) => disk.readPath(map(p)), copyPath: (p, d, to) => disk.copyPath?.(map(p), d, to) ?? false } : disk;
  return { executor, sandboxes, sources, state: buildStateFor(store) };
}

/** The in-thread executor (`workers: 0`) or a pool executor over a shared pool of that size. */
export async function nodeExecutor(workers?: number, timeoutMs?: number): Promise<Executor> {
  const { PoolExecutor, nodeInThreadExecutor } = await import("./executors.node.ts");
  if (workers === 0) return nodeInThreadExecutor();
  const { WorkerPool, defaultPool } = await import("../runtime/pool.node.ts");
  let pool = workers === undefined ? defaultPool() : pools.get(workers);
  if (!pool) pools.set(workers as number, (pool = new WorkerPool({ size: workers as number })));
  return new PoolExecutor(pool, timeoutMs);
}
const pools = new Map<number, import("../runtime/pool.node.ts").WorkerPool>();
