// Node-only: each daemon request's own process.env, cwd, stdout and stderr. The command code (eka
// build and what it calls) reads these process globals directly; rather than thread an env object
// through every layer, the daemon installs once, at start, views of them that answer from the
// request whose async context is running (AsyncLocalStorage), and the daemon's own values outside
// any request. Nothing is mutated per request, so requests run concurrently. The one thing a view
// cannot redirect is the OS's own cwd: a relative path handed to fs without path.resolve would
// resolve against the daemon's, which is `/`, so such a bug fails loudly instead of quietly.
import { AsyncLocalStorage } from "node:async_hooks";
import { Writable } from "node:stream";
import { setAmbientSignal } from "../cli/interrupt.ts";

export interface RequestContext {
  env: Record<string, string>;
  cwd: string;
  stdout: Writable;
  stderr: Writable;
  /** Aborted when the client cancels or goes away. */
  signal: AbortSignal;
}

const als = new AsyncLocalStorage<RequestContext>();
let installed = false;

/** Runs `fn` as the request `ctx`. */
export function inRequest<T>(ctx: RequestContext, fn: () => Promise<T>): Promise<T> {
  install();
  return als.run(ctx, fn);
}

function install(): void {
  if (installed) return;
  installed = true;
  const realEnv = process.env;
  const realCwd = process.cwd.bind(process);
  const env = (): Record<string, string | undefined> => als.getStore()?.env ?? realEnv;
  process.env = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_, k) => (typeof k === "string" ? env()[k] : undefined),
    set: (_, k, v) => {
      if (typeof k === "string") env()[k] = String(v);
      return true;
    },
    deleteProperty: (_, k) => (typeof k === "string" ? delete env()[k] : true),
    has: (_, k) => typeof k === "string" && k in env(),
    ownKeys: () => Object.keys(env()),
    getOwnPropertyDescriptor: (_, k) => {
      const v = typeof k === "string" ? env()[k] : undefined;
      return v === undefined ? undefined : { value: v, writable: true, enumerable: true, configurable: true };
    },
  });
  process.cwd = () => als.getStore()?.cwd ?? realCwd();
  for (const name of ["stdout", "stderr"] as const) {
    const real = Object.getOwnPropertyDescriptor(process, name);
    const realGet = real?.get ? real.get.bind(process) : () => real?.value as Writable;
    Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => als.getStore()?.[name] ?? realGet() });
  }
  setAmbientSignal(() => als.getStore()?.signal);
}

/**
 * A stream whose writes become messages to the client, in order with the other stream's (both go
 * out through the same socket). `isTTY` and `columns` are the client's.
 */
export function clientStream(write: (chunk: string | Uint8Array) => void, tty: boolean, columns?: number): Writable {
  const w = new Writable({
    decodeStrings: false,
    write(chunk: string | Uint8Array, _enc, cb) {
      write(chunk);
      cb();
    },
  });
  Object.assign(w, { isTTY: tty, columns });
  return w;
}
