// The build worker's entry (bundled as dist/web/worker.js): one WebSession per worker, every
// request answered in order. Builds and programs run here, never on the page's thread.
import { isEkaError } from "../errors.ts";
import type { FromWorker, Request } from "./protocol.ts";
import { WebSession } from "./session.ts";

let session: Promise<WebSession> | undefined;
// One request at a time: a build and a run must not interleave on the one WASI thread.
let queue: Promise<void> = Promise.resolve();

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

self.addEventListener("message", (ev: MessageEvent<{ id: number; req: Request }>) => {
  const { id, req } = ev.data;
  queue = queue.then(() => handle(id, req)).catch(() => {});
});

async function handle(id: number, req: Request): Promise<void> {
  try {
    post({ id, ok: await answer(id, req) });
  } catch (e) {
    const err = isEkaError(e) ? { code: e.code, message: e.message, details: e.details } : { message: e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e) };
    post({ id, error: err });
  }
}

async function answer(id: number, req: Request): Promise<unknown> {
  if (req.op === "open") {
    session ??= WebSession.open(req.options);
    const s = await session.catch((e: unknown) => {
      session = undefined;
      throw e;
    });
    return { seedStorePath: s.seed.storePath, fromCache: s.seed.fromCache, ms: s.seed.ms, store: s.store.address };
  }
  if (!session) throw new Error("the build worker was not opened");
  const s = await session;
  switch (req.op) {
    case "build":
      return s.build(req.files, req.atomDir, (event) => post({ id, event: { type: "progress", event } }));
    case "run": {
      const t0 = performance.now();
      const r = await s.run(req.storePath, req.program, req.args, {
        ...(req.stdin ? { stdin: req.stdin } : {}),
        stdout: (b) => post({ id, event: { type: "out", fd: 1, data: b.slice() } }),
        stderr: (b) => post({ id, event: { type: "out", fd: 2, data: b.slice() } }),
      });
      return { ...r, ms: performance.now() - t0 };
    }
    case "list":
      return s.list();
    case "export":
      return s.exportPaths(req.paths);
    case "import":
      return s.importPaths(req.bytes);
  }
}
