/**
 * The page's side of the build worker: `new BuildWorker(url)` starts it, `call(request)` sends one
 * request and resolves with its result; progress and program output arrive through `onEvent`.
 * An error keeps the EkaError code and details (line and column of a manifest error).
 */
import type { Event, FromWorker, Request, Results, WireError } from "./protocol.ts";

export class WorkerError extends Error {
  readonly code: string | undefined;
  readonly details: unknown;
  constructor(e: WireError) {
    super(e.message);
    this.code = e.code;
    this.details = e.details;
  }
}

export class BuildWorker {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; onEvent?: (e: Event) => void }>();

  constructor(url: string | URL) {
    this.worker = new Worker(url, { type: "module", name: "eka-build" });
    this.worker.addEventListener("message", (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      const w = this.waiting.get(m.id);
      if (!w) return;
      if ("event" in m) return w.onEvent?.(m.event);
      this.waiting.delete(m.id);
      if ("ok" in m) w.resolve(m.ok);
      else w.reject(new WorkerError(m.error));
    });
    this.worker.addEventListener("error", (ev) => {
      for (const w of this.waiting.values()) w.reject(new WorkerError({ message: `the build worker failed: ${ev.message}` }));
      this.waiting.clear();
    });
  }

  call<R extends Request>(req: R, onEvent?: (e: Event) => void): Promise<Results[R["op"]]> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(onEvent ? { onEvent } : {}) });
      this.worker.postMessage({ id, req });
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}
