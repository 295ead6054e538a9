// Node-only: `eka daemon start|stop|status` — a per-user background eka that `eka build` hands its
// work to, keeping the worker pool and the compiled seed warm between commands (src/daemon/).
import { rmSync } from "node:fs";
import { EkaError } from "../../errors.ts";
import { parseCommand, runSubcommand, type Command } from "../args.ts";

export const summary = "A background eka that keeps compilers warm between builds (start, stop, status)";

const JSON_OPTION = { json: { type: "boolean" } } as const;

const start: Command = {
  summary: "Start the daemon in the background",
  help: `Usage: eka daemon start [--json]

Starts the eka daemon for this user, unless one is running: a background process listening on
$XDG_RUNTIME_DIR/eka/daemon.sock (else $EKA_CACHE/daemon.sock). 'eka build' then runs in it
when it answers, with its worker pool and compiled seed kept warm between builds.
EKA_DAEMON=off never uses it; EKA_DAEMON=auto starts it on first use.

Options:
  --json      print {"pid", "socket", "started"} as JSON
  -h, --help  show this help
`,
  async run(argv) {
    const { values } = parseCommand({ command: "eka daemon start", help: start.help, options: JSON_OPTION }, argv);
    const { connect, startDaemon } = await import("../../daemon/client.node.ts");
    const { daemonPaths } = await import("../../daemon/protocol.node.ts");
    const before = await connect();
    const conn = before ?? (await startDaemon());
    conn.sock.destroy();
    const socket = daemonPaths().socket;
    if (values.json) process.stdout.write(JSON.stringify({ pid: conn.pid, socket, started: !before }) + "\n");
    else process.stdout.write(`eka daemon ${before ? "already running" : "started"}: pid ${conn.pid}, ${socket}\n`);
    return 0;
  },
};

const stop: Command = {
  summary: "Ask the daemon to exit, and wait until it has",
  help: `Usage: eka daemon stop [--json]

Asks the running eka daemon to exit and waits until it has. Builds it was running are rerun
in-process by their clients. Exit status 0 also when none was running.

Options:
  --json      print {"stopped"} as JSON
  -h, --help  show this help
`,
  async run(argv) {
    const { values } = parseCommand({ command: "eka daemon stop", help: stop.help, options: JSON_OPTION }, argv);
    const { stopDaemon } = await import("../../daemon/client.node.ts");
    const stopped = await stopDaemon();
    if (!stopped) await cleanStale();
    if (values.json) process.stdout.write(JSON.stringify({ stopped }) + "\n");
    else process.stdout.write(stopped ? "eka daemon stopped\n" : "eka daemon is not running\n");
    return 0;
  },
};

const status: Command = {
  summary: "Show the daemon's pid, uptime, workers, jobs, modules and memory",
  help: `Usage: eka daemon status [--json]

Shows the running eka daemon's pid, uptime, protocol and eka version, worker pools, requests
running and done, modules compiled, memory and connected clients. Exit status 1 (E_DAEMON_NOT_RUNNING)
when none is running; a socket left by a daemon that was killed is removed.

Options:
  --json      print the status as JSON
  -h, --help  show this help
`,
  async run(argv) {
    const { values } = parseCommand({ command: "eka daemon status", help: status.help, options: JSON_OPTION }, argv);
    const { daemonStatus } = await import("../../daemon/client.node.ts");
    const s = await daemonStatus();
    if (!s) {
      const socket = await cleanStale();
      throw new EkaError("E_DAEMON_NOT_RUNNING", `no eka daemon is running (${socket}); start one with 'eka daemon start'`);
    }
    if (values.json) {
      process.stdout.write(JSON.stringify(s, null, 2) + "\n");
      return 0;
    }
    const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
    process.stdout.write(
      [
        `pid        ${s.pid}`,
        `uptime     ${(s.uptimeMs / 1000).toFixed(1)} s`,
        `version    eka ${s.eka} (build ${s.build}), protocol ${s.protocol}`,
        `socket     ${s.socket}`,
        `v8 flags   ${s.v8Flags.join(" ") || "(V8's defaults)"}`,
        `workers    ${s.workers.started} started in ${s.workers.pools} pool(s) of ${s.workers.size} slots; ${s.workers.jobs} jobs run`,
        `requests   ${s.requests.running} running, ${s.requests.done} done`,
        `modules    ${s.modulesCompiled} compiled`,
        `memory     rss ${mb(s.memory.rss)}, heap ${mb(s.memory.heapUsed)} of ${mb(s.memory.heapTotal)}`,
        `clients    ${s.clients}`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};

/** The daemon process itself (started by `eka daemon start`; not listed). */
const serve: Command = {
  summary: "Run the daemon in the foreground",
  help: `Usage: eka daemon serve\n\nRuns the eka daemon in this process (what 'eka daemon start' runs in the background).\n`,
  async run(argv) {
    parseCommand({ command: "eka daemon serve", help: serve.help, options: {} }, argv);
    const { applyV8Flags, openPools, TIERING_V8_FLAGS } = await import("../../runtime/pool.node.ts");
    const { compiledModuleCount } = await import("../../runtime/modules.ts");
    const { serve: serveDaemon } = await import("../../daemon/server.node.ts");
    const { runNamed } = await import("../dispatch.ts");
    const v8Flags = applyV8Flags(TIERING_V8_FLAGS);
    process.chdir("/");
    const served = await serveDaemon({
      run: runNamed,
      v8Flags,
      stats: () => {
        const pools = openPools();
        const sum = (f: (p: (typeof pools)[number]) => number) => pools.reduce((n, p) => n + f(p), 0);
        return {
          workers: { pools: pools.length, size: sum((p) => p.size), started: sum((p) => p.stats.workersStarted), jobs: sum((p) => p.stats.jobs) },
          modulesCompiled: compiledModuleCount(),
        };
      },
    });
    if (!served) process.stderr.write("eka daemon: another daemon is running; not starting a second\n");
    // Whatever a request left behind (a timer, a handle) does not keep a stopped daemon alive.
    setTimeout(() => process.exit(0), 500).unref();
    return 0;
  },
};

const subcommands = { start, stop, status, serve };

export const help = `Usage: eka daemon <subcommand> [options]

A per-user background eka holding the worker pool with the seed compiled (and, being long-lived,
letting V8 optimise clang's hot code), which 'eka build' uses when it is running. Set
EKA_DAEMON=auto to start it on first use, EKA_DAEMON=off never to use it.

Subcommands:
  start [--json]    start it in the background
  stop [--json]     ask it to exit and wait
  status [--json]   pid, uptime, versions, workers, requests, modules, memory, clients
`;

export async function run(argv: string[]): Promise<number> {
  return runSubcommand("eka daemon", help, subcommands, argv);
}

/** Removes the socket and pid file of a daemon that is gone (killed with -9); returns the socket. */
async function cleanStale(): Promise<string> {
  const { daemonPaths, readPid } = await import("../../daemon/protocol.node.ts");
  const { isAlive } = await import("../../util/host.node.ts");
  const paths = daemonPaths();
  const pid = readPid(paths.pid);
  if (pid === undefined || !isAlive(pid)) {
    rmSync(paths.socket, { force: true });
    rmSync(paths.pid, { force: true });
  }
  return paths.socket;
}
