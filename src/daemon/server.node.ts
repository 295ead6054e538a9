// Node-only: the `eka daemon` process. It listens on a per-user Unix socket and runs the commands
// clients send it in this one long-lived process, so the worker pool, the compiled seed module
// (with V8's tiered-up code) and everything else the command code keeps per process stay warm.
// Each request gets its own env, cwd, stdout and stderr (ambient.node.ts) and cancel signal.
import { linkSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { DAEMON_COMMANDS } from "../cli/dispatch.ts";
import { isAlive } from "../util/host.node.ts";
import { clientStream, inRequest } from "./ambient.node.ts";
import { daemonPaths, hello, helloMismatch, onMessages, readPid, send, type DaemonStatus, type Request } from "./protocol.node.ts";

/** Runs one command as the CLI would (errors printed, exit status returned). */
export type RunCommand = (command: string, argv: string[]) => Promise<number>;


export interface ServeOptions {
  run: RunCommand;
  /** The V8 flags in force (for status). */
  v8Flags: readonly string[];
  stats: () => Pick<DaemonStatus, "workers" | "modulesCompiled">;
}

/**
 * Serves until asked to stop. Returns false (having served nothing) when another daemon already
 * holds the pid file and answers on the socket.
 */
export async function serve(opts: ServeOptions): Promise<boolean> {
  const paths = daemonPaths();
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  if (!(await takePidFile(paths.pid, paths.socket))) return false;
  const t0 = Date.now();
  const clients = new Set<Socket>();
  let running = 0;
  let done = 0;
  const server = createServer((sock) => {
    clients.add(sock);
    sock.on("close", () => clients.delete(sock));
    sock.on("error", () => {});
    let greeted = false;
    let cancel: AbortController | undefined;
    // A client that goes away (killed, or its second Ctrl-C) cancels its own request.
    sock.on("close", () => cancel?.abort());
    onMessages(sock, (m) => {
      if (!greeted) {
        const why = helloMismatch(m, ["client", "daemon"]);
        if (why) {
          send(sock, { t: "refused", reason: why });
          sock.end();
          return;
        }
        greeted = true;
        send(sock, hello());
        return;
      }
      const req = m as Request;
      if (req.t === "cancel") cancel?.abort();
      else if (req.t === "status") send(sock, { t: "status", status: status() });
      else if (req.t === "stop") {
        send(sock, { t: "stopping" });
        stop();
      } else if (req.t === "run" && !cancel) {
        cancel = new AbortController();
        running++;
        void runRequest(sock, req, cancel.signal, opts.run).finally(() => {
          running--;
          done++;
        });
      }
    });
  });
  const me = hello();
  const status = (): DaemonStatus => {
    const mem = process.memoryUsage();
    return {
      pid: process.pid,
      uptimeMs: Date.now() - t0,
      protocol: me.protocol,
      eka: me.eka,
      build: me.build,
      socket: paths.socket,
      v8Flags: [...opts.v8Flags],
      ...opts.stats(),
      requests: { running, done },
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal },
      clients: clients.size,
    };
  };
  try {
    await listen(server, paths.socket);
  } catch (e) {
    // Another daemon won a race for a stale pid file and listens: it serves, not us.
    if (readPid(paths.pid) === process.pid) rmSync(paths.pid, { force: true });
    throw e;
  }
  const stopped = new Promise<void>((resolve) => server.on("close", resolve));
  const stop = () => {
    server.close();
    // Clients of requests still running rerun them in-process when their connection closes.
    for (const c of clients) c.end();
    setTimeout(() => clients.forEach((c) => c.destroy()), 200).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await stopped;
  rmSync(paths.socket, { force: true });
  rmSync(paths.pid, { force: true });
  return true;
}

async function runRequest(sock: Socket, req: Extract<Request, { t: "run" }>, signal: AbortSignal, run: RunCommand): Promise<void> {
  const out = (fd: 1 | 2) => (chunk: string | Uint8Array) =>
    send(sock, typeof chunk === "string" ? { t: "out", fd, text: chunk } : { t: "out", fd, b64: Buffer.from(chunk).toString("base64") });
  const ctx = {
    env: { ...req.env },
    cwd: req.cwd,
    stdout: clientStream(out(1), req.tty.stdout, req.tty.columns),
    stderr: clientStream(out(2), req.tty.stderr, req.tty.columns),
    signal,
  };
  let code: number;
  try {
    code = DAEMON_COMMANDS.has(req.command)
      ? await inRequest(ctx, () => run(req.command, req.argv))
      : (ctx.stderr.write(`eka daemon: '${req.command}' is not served by the daemon\n`), 2);
  } catch (e) {
    ctx.stderr.write(`eka: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    code = 70;
  }
  // Written after the last output: the streams write synchronously, in order, to the socket.
  send(sock, { t: "exit", code });
  sock.end();
}

/** Listens on `socket`, first removing one that no process answers on (a daemon killed with -9). */
async function listen(server: Server, socket: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(socket, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return;
    } catch (e) {
      // We hold the pid file, so whatever is at the path is a dead daemon's (or answers: then refuse).
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 0 || (await answers(socket, 5000))) throw e;
      rmSync(socket, { force: true });
    }
  }
}

/** Whether something accepts connections on `socket`. */
export function answers(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(socket);
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      c.destroy();
      resolve(ok);
    };
    c.on("connect", () => finish(true));
    c.on("error", () => finish(false));
  });
}

/**
 * The pid file is the lock: linked into place whole (so no reader sees it empty), holding our pid.
 * One naming a live process is a daemon running or starting: it is waited for, and never taken
 * over; one naming a dead process (a daemon killed with -9) is stale and removed.
 */
async function takePidFile(pidFile: string, socket: string): Promise<boolean> {
  const tmp = `${pidFile}.tmp-${process.pid}`;
  writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, pidFile);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const pid = readPid(pidFile);
      if (pid !== undefined && isAlive(pid)) {
        const t0 = Date.now();
        while (isAlive(pid) && Date.now() - t0 < 20_000) {
          if (await answers(socket)) return false;
          await new Promise((r) => setTimeout(r, 100));
        }
        if (isAlive(pid)) return false;
      }
      rmSync(pidFile, { force: true });
    }
    return false;
  } finally {
    rmSync(tmp, { force: true });
  }
}
