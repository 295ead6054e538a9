// Node-only: the client side of `eka daemon`. `eka build` asks a running daemon to run it (with
// this process's argv, cwd and environment) and relays its output; whenever the daemon cannot
// (not running, another version, or it died mid-request) the caller runs the command in-process.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { EkaError, isEkaError } from "../errors.ts";
import { defaultStoreAddress } from "../store/open.node.ts";
import { cacheDir, isAlive } from "../util/host.node.ts";
import { daemonPaths, hello, type Hello, helloMismatch, onMessages, readPid, send, type DaemonStatus, type Reply, type Request } from "./protocol.node.ts";

export interface Connection {
  sock: Socket;
  /** The daemon's pid, from its hello. */
  pid: number | undefined;
  /** Resolves with each message in turn; null once the connection closed. */
  next(): Promise<Reply | null>;
}

/**
 * Connects and exchanges hellos. null: nothing listens on the socket. A daemon of another version
 * is refused here (and refuses us): its reason, naming both versions, is thrown as E_DAEMON_VERSION.
 */
export async function connect(socket = daemonPaths().socket): Promise<Connection | null> {
  if (!existsSync(socket)) return null;
  const sock = createConnection(socket);
  const ok = await new Promise<boolean>((resolve) => {
    sock.once("connect", () => resolve(true));
    sock.once("error", () => resolve(false));
  });
  if (!ok) {
    sock.destroy();
    return null;
  }
  sock.on("error", () => {});
  const queue: (Reply | null)[] = [];
  const waiting: ((m: Reply | null) => void)[] = [];
  const push = (m: Reply | null) => {
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  };
  onMessages(sock, (m) => push(m as Reply));
  sock.on("close", () => push(null));
  const next = () => (queue.length ? Promise.resolve(queue.shift() as Reply | null) : new Promise<Reply | null>((r) => waiting.push(r)));
  send(sock, hello());
  const first = await next();
  const refused = first === null ? "it closed the connection" : first.t === "refused" ? first.reason : helloMismatch(first as Partial<Hello>, ["daemon", "client"]);
  if (refused || first?.t !== "hello") {
    sock.destroy();
    throw new EkaError("E_DAEMON_VERSION", `the eka daemon at ${socket} and this eka refuse each other: ${refused ?? "no hello"}`);
  }
  return { sock, pid: first.pid, next };
}

/**
 * Runs `eka <command> <argv>` in the daemon when it should (EKA_DAEMON: `off` never, `auto` starts
 * it first, otherwise only when one is running). undefined: run it in-process instead (a warning
 * has been printed where that is a surprise).
 */
export async function viaDaemon(command: string, argv: string[]): Promise<number | undefined> {
  const mode = process.env.EKA_DAEMON ?? "";
  if (mode === "off" || argv.includes("--help") || argv.includes("-h")) return undefined;
  const env = requestEnv();
  // A store in memory lives as long as its process: the daemon's would not be this command's.
  if (env === null) return undefined;
  let conn: Connection | null;
  try {
    conn = await connect();
    if (!conn && mode === "auto") conn = await startDaemon();
  } catch (e) {
    process.stderr.write(`eka: warning: ${e instanceof Error ? e.message : String(e)}; running in-process\n`);
    return undefined;
  }
  if (!conn) return undefined;
  return relay(conn, { t: "run", command, argv, cwd: process.cwd(), env, tty: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true, ...(process.stderr.columns ? { columns: process.stderr.columns } : {}) } });
}

/**
 * The environment the request carries: this process's, with the store and cache directory made
 * explicit (their defaults depend on the home directory, which the daemon reads from its own).
 */
function requestEnv(): Record<string, string> | null {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  if (!env.EKA_CACHE) env.EKA_CACHE = cacheDir();
  env.EKA_STORE = defaultStoreAddress(env);
  return /(^|\|)memory:/i.test(env.EKA_STORE) ? null : env;
}

/**
 * Sends the request and relays what comes back. stderr (progress, warnings) is written as it
 * arrives; stdout is held until the exit status, so that a daemon dying mid-request (the command
 * is then rerun in-process) leaves no half of a result on it.
 */
async function relay(conn: Connection, req: Request): Promise<number | undefined> {
  const stdout: Buffer[] = [];
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    send(conn.sock, { t: "cancel" });
  };
  process.on("SIGINT", onSigint);
  try {
    send(conn.sock, req);
    for (;;) {
      const m = await conn.next();
      if (m === null) break;
      if (m.t === "out") {
        const b = m.text !== undefined ? Buffer.from(m.text) : Buffer.from(m.b64 ?? "", "base64");
        if (m.fd === 1) stdout.push(b);
        else process.stderr.write(b);
      } else if (m.t === "exit") {
        if (stdout.length) process.stdout.write(Buffer.concat(stdout));
        conn.sock.end();
        return m.code;
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
  if (interrupted) return 130;
  process.stderr.write(`eka: warning: the eka daemon (pid ${conn.pid ?? "?"}) went away during the build; running in-process\n`);
  return undefined;
}

/** Asks the daemon for its status; null when none is running. */
export async function daemonStatus(): Promise<DaemonStatus | null> {
  const conn = await connect();
  if (!conn) return null;
  send(conn.sock, { t: "status" });
  const m = await conn.next();
  conn.sock.destroy();
  return m?.t === "status" ? m.status : null;
}

/** Starts a daemon in the background (unless one answers) and connects to it. */
export async function startDaemon(timeoutMs = 20_000): Promise<Connection> {
  const existing = await connect();
  if (existing) return existing;
  const paths = daemonPaths();
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const log = openSync(paths.log, "a");
  const script = process.argv[1];
  if (!script) throw new EkaError("E_DAEMON_START", "cannot tell which eka to start as the daemon (process.argv[1] is empty)");
  const child = spawn(process.execPath, [...process.execArgv, script, "daemon", "serve"], { detached: true, stdio: ["ignore", log, log], cwd: "/", env: process.env });
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? 1));
  child.unref();
  const t0 = Date.now();
  for (;;) {
    const conn = await connect();
    if (conn) return conn;
    if (exited !== null && exited !== 0) break;
    if (Date.now() - t0 > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new EkaError("E_DAEMON_START", `the eka daemon did not start listening on ${paths.socket}${exited !== null ? ` (it exited with status ${exited})` : ""}; see its log, ${paths.log}`);
}

/** Asks the daemon to exit and waits until it has. false: none was running. */
export async function stopDaemon(timeoutMs = 20_000): Promise<boolean> {
  let pid: number | undefined;
  try {
    const conn = await connect();
    if (!conn) return false;
    pid = conn.pid;
    send(conn.sock, { t: "stop" });
    while ((await conn.next()) !== null);
  } catch (e) {
    // A daemon of another version refuses to talk, but a stop is for it too: SIGTERM stops it as well.
    if (!isEkaError(e, "E_DAEMON_VERSION")) throw e;
    pid = readPid(daemonPaths().pid);
    if (pid === undefined || !isAlive(pid)) return false;
    process.kill(pid, "SIGTERM");
  }
  const t0 = Date.now();
  while (pid !== undefined && isAlive(pid)) {
    if (Date.now() - t0 > timeoutMs) throw new EkaError("E_DAEMON_STOP", `the eka daemon (pid ${pid}) did not exit within ${timeoutMs / 1000} s; kill it`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}
