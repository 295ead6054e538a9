// Node-only: `eka ci serve` — the webhook-driven review server and its portal (src/ci/, docs/ci.md).
import { parseCommand, runSubcommand, UsageError, type Command } from "../args.ts";

export const summary = "The CI server: GitHub webhooks in, reviews as check runs out, and a portal (serve)";

const serve: Command = {
  summary: "Serve webhooks, run review jobs, report check runs, show the portal",
  help: `Usage: eka ci serve [--config FILE] [--port N] [--host ADDRESS] [--json]

Runs the CI server of a repository of atoms: GitHub App webhooks arrive at POST /webhook
(X-Hub-Signature-256 checked with the webhook secret; pull_request opened, synchronize,
reopened and closed; push; check_run rerequested; a pull request comment line
'@eka review rebuild ATOM'). Each becomes a job in a durable queue (SQLite, in the state
directory): fetch the repository, review base..head as 'eka review' does, keep review.json,
review.md, index.html and logs per job, report check runs (eka/eval, eka/review, one per newly
failing atom) and push what built to the binary cache. A new head commit cancels the old job;
jobs left by a stopped server run when it starts again.

The portal is on the same port: / lists the open pull requests (most rebuilds first, then most
newly failing, then most lines changed), /pr/N shows the newest review and the running job live,
/log/NAME a build's log, /jobs/ID/ a job's files.

Options:
      --config FILE     The TOML config (default: ./eka-ci.toml); docs/ci.md lists its keys
      --port N          Listen on port N (default 8080; 0 picks a free one)
      --host ADDRESS    Listen on ADDRESS (default 127.0.0.1)
      --json            Log one JSON object a line (listening, queued, started, done, …)
  -h, --help            Show this help

The webhook secret is 'secret' or 'secret-file' in the config, else $EKA_CI_SECRET.

Examples:
  eka ci serve --config /etc/eka-ci.toml --host 0.0.0.0 --port 8080
`,
  async run(argv) {
    const CMD = "eka ci serve";
    const { values } = parseCommand({ command: CMD, help: serve.help, options: { config: { type: "string" }, port: { type: "string" }, host: { type: "string" }, json: { type: "boolean" } } }, argv);
    const port = values.port === undefined ? 8080 : Number(values.port);
    if (!/^\d+$/.test(values.port ?? "0") || port > 65535) throw new UsageError(CMD, `--port wants a port number 0-65535, got '${values.port}'`);
    const [{ loadConfig }, { startCiServer }] = await Promise.all([import("../../ci/config.node.ts"), import("../../ci/server.node.ts")]);
    const config = loadConfig(values.config ?? "eka-ci.toml");
    const json = values.json === true;
    const log = (event: string, fields: Record<string, unknown>) => {
      const line = json ? JSON.stringify({ event, time: new Date().toISOString(), ...fields }) : `eka ci: ${event} ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")}`;
      process.stdout.write(line + "\n");
    };
    const server = await startCiServer(config, { port, host: values.host ?? "127.0.0.1", log });
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        log("stopping", {});
        void server.close().then(resolve, resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return 0;
  },
};

export const subcommands: Readonly<Record<string, Command>> = { serve };

export const help = `Usage: eka ci <subcommand> [options]

Subcommands:
  serve   ${serve.summary}

Run 'eka ci serve --help' for its options; docs/ci.md sets it up as a GitHub App.
`;

export function run(argv: string[]): Promise<number> {
  return runSubcommand("eka ci", help, subcommands, argv);
}
