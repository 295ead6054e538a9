/**
 * Node-only: one pool worker (see pool.node.ts). It receives compiled modules once, then jobs; each
 * job's mounts are built here from their descriptions, and the result (exit code, captured output,
 * collected in-memory trees) is posted back.
 */
import { parentPort } from "node:worker_threads";
import { EkaError, type ErrorCode } from "../errors.ts";
import { hostIoError } from "../util/io-errors.ts";
import { adoptModule, cachedModule } from "./modules.ts";
import { deterministicOptions, type MountSpec, type PoolJob, type PoolResult, type ProgramContext } from "./pool.node.ts";
import { FilteredFS, MemoryFS, runWasi, walk, writeFile, type FileSystem } from "./index.ts";
import { NodeDirFS } from "./nodefs.node.ts";

type Message = { type: "module"; key: string; module: WebAssembly.Module } | { type: "job"; id: number; job: PoolJob };

const port = parentPort;
if (!port) throw new Error("worker.node.ts must run in a worker thread");

port.on("message", (m: Message) => {
  if (m.type === "module") {
    adoptModule(m.key, m.module);
    return;
  }
  runJob(m.job).then(
    (result) => port.postMessage({ id: m.id, ok: true, result }),
    (e: unknown) => port.postMessage(errorReply(m.id, e)),
  );
});

async function runJob(job: PoolJob): Promise<PoolResult> {
  const pending = cachedModule(job.module);
  if (!pending) throw new EkaError("E_UNKNOWN_MODULE", `the worker has no module ${job.module.slice(0, 16)}…`);
  const module = await pending;
  const mounts: { guest: string; fs: FileSystem }[] = [];
  const collect: { guest: string; fs: FileSystem }[] = [];
  for (const spec of job.mounts) {
    const fs = await buildMount(spec);
    mounts.push({ guest: spec.guest, fs });
    if (spec.kind === "memory" && spec.collect) collect.push({ guest: spec.guest, fs });
  }
  let result: PoolResult;
  if (job.program) {
    const mod = await importUrl(job.program.url);
    const fn = mod[job.program.exportName];
    if (typeof fn !== "function") throw new EkaError("E_POOL_PROGRAM", `program module ${job.program.url} has no function export '${job.program.exportName}'`);
    const r = (await (fn as (c: ProgramContext) => Promise<PoolResult>)({ module, job, mounts })) as PoolResult;
    result = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  } else {
    const r = await runWasi(module, {
      args: job.args,
      env: job.env ?? {},
      preopens: mounts,
      ...(job.cwd !== undefined ? { cwd: job.cwd } : {}),
      ...(job.stdin ? { stdin: job.stdin } : {}),
      ...(job.deterministic ? { deterministic: deterministicOptions(job.deterministic) } : {}),
      ...(job.limits ? { limits: job.limits } : {}),
    });
    result = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }
  if (collect.length) {
    result.files = {};
    for (const c of collect) {
      const files: Record<string, Uint8Array> = {};
      for (const e of walk(c.fs)) if (e.kind === "file") files[e.path] = e.data;
      result.files[c.guest] = files;
    }
  }
  return result;
}

let tsxReady: Promise<unknown> | undefined;

/**
 * Imports a program or mount module. Other layers name their TypeScript sources; a worker started
 * from the esbuild bundle (dist/worker.mjs) runs without tsx, so tsx's loader is registered here
 * the first time a `.ts` URL comes along.
 */
async function importUrl(url: string): Promise<Record<string, unknown>> {
  // From source this file already runs under tsx (pool.node.ts boots it through tsImport).
  if (/\.m?ts$/.test(url) && !import.meta.url.endsWith(".ts")) {
    tsxReady ??= import("tsx/esm/api").then((m: { register: () => unknown }) => m.register());
    await tsxReady;
  }
  return (await import(url)) as Record<string, unknown>;
}

async function buildMount(spec: MountSpec): Promise<FileSystem> {
  switch (spec.kind) {
    case "host": {
      const dir = new NodeDirFS(spec.path, { readonly: spec.readonly ?? false }) as FileSystem;
      return spec.view ? new FilteredFS(dir, spec.view) : dir;
    }
    case "memory": {
      const fs = new MemoryFS() as FileSystem;
      for (const [path, data] of Object.entries(spec.files ?? {})) writeFile(fs, path, data);
      return fs;
    }
    case "module": {
      const mod = await importUrl(spec.url);
      const make = mod[spec.exportName];
      if (typeof make !== "function") throw new EkaError("E_MOUNT_KIND", `mount module ${spec.url} has no function export '${spec.exportName}'`);
      return (await (make as (o: unknown) => FileSystem | Promise<FileSystem>)(spec.options)) as FileSystem;
    }
    default:
      throw new EkaError("E_MOUNT_KIND", `unknown mount kind '${(spec as { kind: string }).kind}' for ${(spec as { guest: string }).guest}; use host, memory or module`);
  }
}


function errorReply(id: number, err: unknown): { id: number; ok: false; code?: ErrorCode; message: string; details?: Record<string, unknown> } {
  // A host directory the job mounts that the machine refuses (gone, unreadable) keeps its code.
  const e = hostIoError(err) ?? err;
  if (e instanceof EkaError) return { id, ok: false, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  return { id, ok: false, code: "E_WORKER", message: e instanceof Error ? e.message : String(e) };
}
