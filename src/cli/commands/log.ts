// Node-only: `eka log PATH` — a package's build log (every step's command and output).
import { EkaError } from "../../errors.ts";
import { parseCommand } from "../args.ts";

export const summary = "Print the build log of a package";
export const help = `Usage: eka log [--store ADDRESS] [--json] PATH

Prints the log of the last build of PATH: every step's command line and its output (cached
steps are listed as such). PATH is a store path (/nix/store/<hash>-<name>, or a path inside it)
or a pid (64 hex digits). Logs are kept in the store directory, under logs/.

Options:
  --store ADDRESS  the store (default: $EKA_STORE, else ~/.local/share/eka/store)
  --json           print {"storePath", "log"} as JSON
  -h, --help       show this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    { command: "eka log", help, options: { store: { type: "string" }, json: { type: "boolean" } }, args: { name: "PATH (a store path or pid)", min: 1, max: 1 } },
    argv,
  );
  const target = positionals[0] as string;
  const m = /^(\/nix\/store\/[^/]+)/.exec(target);
  const key = m ? (m[1] as string) : target;
  if (!m && !/^[0-9a-f]{64}$/.test(target)) {
    throw new EkaError("E_NOT_STORE_PATH", `'${target}' is neither a store path (/nix/store/<hash>-<name>) nor a pid (64 hex digits)`);
  }
  const { chooseStore, openStore } = await import("../../store/open.node.ts");
  const { buildStateFor } = await import("../../builder/index.node.ts");
  const store = await openStore(chooseStore(values.store), { create: false });
  const log = buildStateFor(store).readLog(key);
  if (log === null) {
    throw new EkaError("E_NO_LOG", `no build log for ${key} in the store ${store.address}; it was not built there (or was substituted)`);
  }
  if (values.json) process.stdout.write(JSON.stringify({ storePath: m ? key : null, log }) + "\n");
  else process.stdout.write(log);
  return 0;
}
