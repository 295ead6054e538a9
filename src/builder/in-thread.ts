// The in-thread executor: commands run one at a time on this thread's WASI host, so output streams
// as the guest writes it and stdin is read when the guest asks. Where a mount's files live is the
// caller's: Node opens host directories (NodeDirFS), a browser passes its memory file systems.
import { FilteredFS } from "../runtime/filtered.ts";
import type { FileSystem } from "../runtime/fs.ts";
import { compileModule } from "../runtime/modules.ts";
import { runWasi } from "../runtime/wasi.ts";
import type { ExecRequest, ExecResult, Executor, Mount } from "./executor.ts";

export interface InThreadOptions {
  /** The file system of a mount. Default: the mount's own `fs` (memory sandboxes). */
  fileSystemOf?: (m: Mount) => FileSystem;
  /** Called before the first module is compiled (Node sets its V8 flags there). */
  beforeCompile?: () => void;
  /**
   * A module the caller compiled already (a browser's seed, from WebAssembly.compileStreaming),
   * by its ModuleRef key; undefined to compile it from its bytes.
   */
  compiled?: (key: string) => Promise<WebAssembly.Module> | undefined;
}

export class InThreadExecutor implements Executor {
  readonly slots = 1;
  private readonly modules = new Map<string, Promise<WebAssembly.Module>>();
  constructor(private readonly opts: InThreadOptions = {}) {}

  async execute(req: ExecRequest): Promise<ExecResult> {
    const { module, args, env, cwd, deterministic = true } = req.command;
    let m = this.modules.get(module.key) ?? this.opts.compiled?.(module.key);
    if (!m) {
      this.opts.beforeCompile?.();
      // Keyed by the module's identity, so a 75 MB compiler is neither re-read nor re-hashed.
      m = compileModule(module.bytes()).then((c) => c.module);
      this.modules.set(module.key, m);
    }
    const fsOf = this.opts.fileSystemOf ?? ownFileSystem;
    // A guest runs synchronously; between steps, let the thread's event loop run (messages,
    // timers, progress, a signal), or a chain of steps holds it for the whole build.
    await yieldToEventLoop();
    const r = await runWasi(await m, {
      args,
      env,
      cwd,
      preopens: req.mounts.map((mt) => ({ guest: mt.guest, fs: mt.view ? new FilteredFS(fsOf(mt), mt.view) : fsOf(mt) })),
      ...(deterministic ? { deterministic: { epochNs: BigInt(env.SOURCE_DATE_EPOCH ?? "1") * 1_000_000_000n } } : {}),
      ...(req.stdin ? { stdin: req.stdin } : {}),
      ...(req.stdout ? { stdout: req.stdout } : {}),
      ...(req.stderr ? { stderr: req.stderr } : {}),
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }
}

/** A macrotask turn: setImmediate where the runtime has it (Node, Bun), else a zero timeout. */
function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

function ownFileSystem(m: Mount): FileSystem {
  if (!("fs" in m)) throw new Error(`mount ${m.guest} is a host directory; pass fileSystemOf to open it`);
  return m.fs;
}
