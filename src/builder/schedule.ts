// Scheduling: packages and the steps inside one package both run as a DAG (each item once its
// dependencies are done, independent ones at once), and one Semaphore bounds the commands running
// at once across every package of a build.
import { EkaError } from "../errors.ts";

export interface InOrderOptions {
  /**
   * After a failure, still start items that do not depend on the failed one (packages: the build
   * gets as far as it can). Without it nothing new starts (steps of one package, which fails).
   */
  keepGoing?: boolean;
  /** Checked before each item starts (`E_ABORTED`). */
  signal?: AbortSignal;
}

/** Runs `run(item)` for every item after its dependencies; rethrows the first failure. */
export async function runInOrder<T>(items: readonly T[], depsOf: (item: T) => readonly T[], run: (item: T) => Promise<void>, opts: InOrderOptions = {}): Promise<void> {
  const started = new Map<T, Promise<void>>();
  let failed: { error: unknown } | undefined;
  const start = (item: T): Promise<void> => {
    let p = started.get(item);
    if (p) return p;
    p = (async () => {
      await Promise.all(depsOf(item).map(start));
      if (failed && !opts.keepGoing) throw failed.error;
      if (opts.signal?.aborted) throw new EkaError("E_ABORTED", "build aborted");
      await run(item);
    })();
    p.catch((e: unknown) => {
      failed ??= { error: e };
    });
    started.set(item, p);
    return p;
  };
  const all = await Promise.allSettled(items.map(start));
  if (failed) throw failed.error;
  for (const r of all) if (r.status === "rejected") throw r.reason;
}

/** Limits concurrent commands across every package being built. */
export class Semaphore {
  private queue: (() => void)[] = [];
  private active = 0;
  constructor(readonly size: number) {}
  async with<T>(f: () => Promise<T>): Promise<T> {
    // A released slot passes straight to the next waiter, so a newcomer can't overtake it.
    if (this.active >= this.size) await new Promise<void>((r) => this.queue.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
