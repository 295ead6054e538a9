// Node runners: the worker pool (parallel, default) and in-process (one command at a time; used
// when a pool is not wanted, e.g. inside a worker or for a quick single-step tool).
import { compileModule } from "../runtime/modules.ts";
import { applyV8Flags, type WorkerPool } from "../runtime/pool.node.ts";
import type { CommandOutcome, Mount, RunnableCommand, Runner } from "./runner.ts";

export class PoolRunner implements Runner {
  private readonly keys = new Map<string, Promise<string>>();
  constructor(
    private readonly pool: WorkerPool,
    private readonly timeoutMs?: number,
  ) {}
  get slots(): number {
    return this.pool.size;
  }
  async run(cmd: RunnableCommand): Promise<CommandOutcome> {
    let key = this.keys.get(cmd.module.key);
    if (!key) {
      key = this.pool.addModule(cmd.module.bytes());
      this.keys.set(cmd.module.key, key);
    }
    const r = await this.pool.run({
      module: await key,
      args: cmd.args,
      env: cmd.env,
      cwd: cmd.cwd,
      mounts: cmd.mounts.map((m) => ({ guest: m.guest, kind: "host", path: hostOf(m), readonly: m.readonly })),
      deterministic: { sourceDateEpoch: Number(cmd.env.SOURCE_DATE_EPOCH ?? "1") },
      ...(cmd.stdin ? { stdin: cmd.stdin } : {}),
      ...(this.timeoutMs ? { timeoutMs: this.timeoutMs } : {}),
    });
    // Workers can't call back per chunk; hand over the output at the end.
    if (cmd.stdout && r.stdout.length) cmd.stdout(r.stdout);
    if (cmd.stderr && r.stderr.length) cmd.stderr(r.stderr);
    return { exitCode: r.exitCode, stdout: cmd.stdout ? new Uint8Array() : r.stdout, stderr: cmd.stderr ? new Uint8Array() : r.stderr };
  }
}

export class InProcessRunner implements Runner {
  readonly slots = 1;
  private readonly modules = new Map<string, Promise<WebAssembly.Module>>();
  async run(cmd: RunnableCommand): Promise<CommandOutcome> {
    const [{ runWasi }, { NodeDirFS }] = await Promise.all([import("../runtime/index.ts"), import("../runtime/nodefs.node.ts")]);
    let m = this.modules.get(cmd.module.key);
    if (!m) {
      applyV8Flags();
      m = compileModule(cmd.module.bytes()).then((c) => c.module);
      this.modules.set(cmd.module.key, m);
    }
    const r = await runWasi(await m, {
      args: cmd.args,
      env: cmd.env,
      cwd: cmd.cwd,
      preopens: cmd.mounts.map((mt) => ({ guest: mt.guest, fs: new NodeDirFS(hostOf(mt), { readonly: mt.readonly }) })),
      deterministic: { epochNs: BigInt(cmd.env.SOURCE_DATE_EPOCH ?? "1") * 1_000_000_000n },
      ...(cmd.stdin ? { stdin: cmd.stdin } : {}),
      ...(cmd.stdout ? { stdout: cmd.stdout } : {}),
      ...(cmd.stderr ? { stderr: cmd.stderr } : {}),
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }
}

function hostOf(m: Mount): string {
  if (!("host" in m)) throw new Error(`mount ${m.guest} is not a host directory; Node runners mount host directories only`);
  return m.host;
}
