// Node-only: what the `eka daemon` server and its clients say to each other. Newline-delimited
// JSON over a Unix socket; the first message each way is a hello naming the protocol version and
// eka's version, and either side refuses a peer whose versions differ from its own.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Socket } from "node:net";
import { cacheDir } from "../util/host.node.ts";

/** Bumped whenever a message changes shape or meaning. */
export const PROTOCOL_VERSION = 1;
export const EKA_VERSION = "0.1.0";

/**
 * Which build of eka is running: the bundle's size and mtime (or "source" from the TypeScript),
 * so a daemon started before `npm run prepare` does not serve clients with its older code.
 */
export function buildId(): string {
  // Once per process: a daemon is the build it started as, whatever is on disk since.
  return (build ??= readBuildId());
}
let build: string | undefined;

function readBuildId(): string {
  const bin = process.argv[1];
  const bundle = bin ? join(dirname(bin), "..", "dist", "cli.cjs") : "";
  if (process.env.EKA_FROM_SOURCE === "1" || !bundle || !existsSync(bundle)) return "source";
  const st = statSync(bundle);
  return `${st.size}-${Math.floor(st.mtimeMs)}`;
}

export interface Hello {
  t: "hello";
  protocol: number;
  eka: string;
  build: string;
  pid?: number;
}

export function hello(): Hello {
  return { t: "hello", protocol: PROTOCOL_VERSION, eka: EKA_VERSION, build: buildId(), pid: process.pid };
}

/**
 * Why `peer` cannot be talked to, naming both sides' versions; null when it can. `roles`: what
 * the peer and this side are, for the message ("client", "daemon").
 */
export function helloMismatch(peer: Partial<Hello>, roles: [string, string], self: Hello = hello()): string | null {
  const [them, us] = roles;
  if (peer.t !== "hello" || typeof peer.protocol !== "number") return `expected a hello with protocol ${self.protocol} first, got ${JSON.stringify(peer).slice(0, 80)}`;
  if (peer.protocol !== self.protocol || peer.eka !== self.eka) {
    return `the ${them} speaks protocol ${String(peer.protocol)} (eka ${String(peer.eka)}), the ${us} protocol ${self.protocol} (eka ${self.eka})`;
  }
  if (peer.build !== self.build) return `the ${them} is eka build ${String(peer.build)}, the ${us} build ${self.build} (eka was rebuilt: run 'eka daemon stop')`;
  return null;
}

/** What a client asks. `run`: one command, with its argv, cwd and environment. */
export type Request =
  | { t: "run"; command: string; argv: string[]; cwd: string; env: Record<string, string>; tty: { stdout: boolean; stderr: boolean; columns?: number } }
  | { t: "cancel" }
  | { t: "status" }
  | { t: "stop" };

/** What the daemon answers: output as it happens, then the exit status. */
export type Reply =
  | Hello
  | { t: "refused"; reason: string }
  | { t: "out"; fd: 1 | 2; text?: string; b64?: string }
  | { t: "exit"; code: number }
  | { t: "status"; status: DaemonStatus }
  | { t: "stopping" };

export interface DaemonStatus {
  pid: number;
  uptimeMs: number;
  protocol: number;
  eka: string;
  build: string;
  socket: string;
  v8Flags: string[];
  workers: { pools: number; size: number; started: number; jobs: number };
  requests: { running: number; done: number };
  modulesCompiled: number;
  memory: { rss: number; heapUsed: number; heapTotal: number };
  clients: number;
}

/** The per-user directory holding the socket, its pid file and its log. */
export function daemonDir(env: Record<string, string | undefined> = process.env): string {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "eka") : cacheDir(env);
}

export function daemonPaths(env: Record<string, string | undefined> = process.env): { dir: string; socket: string; pid: string; log: string } {
  const dir = daemonDir(env);
  return { dir, socket: join(dir, "daemon.sock"), pid: join(dir, "daemon.pid"), log: join(dir, "daemon.log") };
}

/** Sends one message. */
export function send(sock: Socket, m: Request | Reply): void {
  if (!sock.destroyed && sock.writable) sock.write(JSON.stringify(m) + "\n");
}

/** Calls `onMessage` for each line the socket delivers; a line that is not JSON ends the connection. */
export function onMessages(sock: Socket, onMessage: (m: Record<string, unknown>) => void): void {
  let buf = "";
  sock.setEncoding("utf8");
  sock.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        sock.destroy();
        return;
      }
      if (m && typeof m === "object") onMessage(m as Record<string, unknown>);
    }
  });
}

/** The pid a daemon's pid file names, if it names one. */
export function readPid(pidFile: string): number | undefined {
  try {
    const n = Number(readFileSync(pidFile, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
