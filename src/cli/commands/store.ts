// Node-only: `eka store <subcommand>` — inspect and maintain the store. The subcommands live in
// ./store/, grouped by what they do; this file is their table and the group's help.
import { runSubcommand } from "../args.ts";
import type { StoreCommand } from "./store/common.ts";
import { verify, repair, gc } from "./store/maintain.ts";
import { cache, keygen, narinfo, push, sign, substitute } from "./store/keys.ts";
import { add, cat, ls, lsTree, pathInfo } from "./store/paths.ts";
import { serve } from "./store/serve.ts";
import { dump, exportCommand, importCommand, restore } from "./store/transfer.ts";

export const summary = "Inspect and maintain the store (add, ls, path-info, cat, dump, verify, repair, gc, …)";

export const subcommands: Readonly<Record<string, StoreCommand>> = {
  add,
  ls,
  "path-info": pathInfo,
  cat,
  "ls-tree": lsTree,
  dump,
  restore,
  verify,
  repair,
  gc,
  export: exportCommand,
  keygen,
  sign,
  narinfo,
  cache,
  push,
  substitute,
  serve,
  import: importCommand,
};

export const help = `Usage: eka store [--store ADDRESS] <subcommand> [options]

Inspect and maintain the content-addressed store.

Subcommands:
${Object.values(subcommands)
  .map((s) => `  ${s.usage}\n      ${s.summary}`)
  .join("\n")}

Options:
  --store ADDRESS   memory:, file:///dir, a directory, or NEAR|FAR (default: $EKA_STORE,
                    else $XDG_DATA_HOME/eka/store, else ~/.local/share/eka/store)
  -h, --help        this help ('eka store <subcommand> --help' for one subcommand)
`;

export function run(argv: string[]): Promise<number> {
  return runSubcommand("eka store", help, subcommands, argv, { store: { type: "string" } });
}
