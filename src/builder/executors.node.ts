// Node's executors: the worker pool (parallel, the default) and in this thread with host
// directories opened as NodeDirFS (`workers: 0`, `eka run`, or inside a worker).
import type { FileSystem } from "../runtime/fs.ts";
import { NodeDirFS } from "../runtime/nodefs.node.ts";
import { applyV8Flags, type WorkerPool } from "../runtime/pool.node.ts";
import type { ExecRequest, ExecResult, Executor, Mount } from "./executor.ts";
import { InThreadExecutor } from "./in-thread.ts";
import { concatBytes } from "../util/bytes.ts";

export class PoolExecutor implements Executor {
  private readonly keys = new Map<string, Promise<string>>();
  constructor(
    private readonly pool: WorkerPool,
    private readonly timeoutMs?: number,
  ) {}
  get slots(): number {
    return this.pool.size;
  }
  async execute(req: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
    const { module, args, env, cwd, deterministic = true } = req.command;
    let key = this.keys.get(module.key);
    if (!key) {
      key = this.pool.addModule(module.bytes());
      this.keys.set(module.key, key);
    }
    const stdin = typeof req.stdin === "function" ? readToEnd(req.stdin) : req.stdin;
    const r = await this.pool.run({
      module: await key,
      args,
      env,
      cwd,
      mounts: req.mounts.map((m) => ({ guest: m.guest, kind: "host", path: hostOf(m), readonly: m.readonly, ...(m.view ? { view: m.view } : {}) })),
      deterministic: deterministic ? { sourceDateEpoch: Number(env.SOURCE_DATE_EPOCH ?? "1") } : false,
      ...(stdin ? { stdin } : {}),
      ...(this.timeoutMs ? { timeoutMs: this.timeoutMs } : {}),
    }, signal ? { signal } : {});
    // Workers can't call back per chunk; hand over the output at the end.
    if (req.stdout && r.stdout.length) req.stdout(r.stdout);
    if (req.stderr && r.stderr.length) req.stderr(r.stderr);
    return { exitCode: r.exitCode, stdout: req.stdout ? new Uint8Array() : r.stdout, stderr: req.stderr ? new Uint8Array() : r.stderr };
  }
}

/**
 * The in-thread executor over host directories (and memory file systems). `clangFlags` sets eka's
 * V8 flags (tuned for the seed clang) before compiling; a user's own program run by `eka run`
 * keeps V8's defaults.
 */
export function nodeInThreadExecutor({ clangFlags = true } = {}): InThreadExecutor {
  return new InThreadExecutor({ fileSystemOf: nodeFileSystemOf, ...(clangFlags ? { beforeCompile: applyV8Flags } : {}) });
}

function nodeFileSystemOf(m: Mount): FileSystem {
  return "host" in m ? new NodeDirFS(m.host, { readonly: m.readonly }) : m.fs;
}

function hostOf(m: Mount): string {
  if (!("host" in m)) throw new Error(`mount ${m.guest} is not a host directory; the worker pool mounts host directories only`);
  return m.host;
}

function readToEnd(read: (buf: Uint8Array) => number): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const buf = new Uint8Array(65536);
    const n = read(buf);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
  }
  return concatBytes(chunks);
}
