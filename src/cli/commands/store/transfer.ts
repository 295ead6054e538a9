// Node-only: `eka store dump|restore|export|import` — move paths in and out as NARs and exports.
import { exportPaths, importPaths, restoreNar } from "../../../store/index.node.ts";
import { notInStore, outPaths, refuseTty, storeCommand, storePathArg, write } from "./common.ts";

export const dump = storeCommand({
  usage: "dump STOREPATH > FILE.nar",
  summary: "Write the NAR serialisation of a store path to stdout (byte-identical to nix-store --dump).",
  options: {},
  flags: [],
  args: { name: "STOREPATH", min: 1, max: 1 },
  run: async (a, { open }) => {
    refuseTty("dump");
    const store = await open();
    const p = storePathArg(a.positionals[0] as string);
    if (!store.has(p)) throw notInStore(store, p);
    for (const chunk of store.dump(p)) await write(chunk);
    return 0;
  },
});

export const restore = storeCommand({
  usage: "restore DIR < FILE.nar",
  summary: "Unpack a NAR from stdin into DIR (which must not exist), like nix-store --restore.",
  details: "The store is not touched.",
  options: {},
  flags: [],
  args: { name: "DIR", min: 1, max: 1 },
  run: async (a) => {
    await restoreNar(process.stdin, a.positionals[0] as string, "the NAR on stdin");
    return 0;
  },
});

export const exportCommand = storeCommand({
  usage: "export STOREPATH… > FILE",
  summary: "Write the paths and their closure (NARs with path info) to stdout, for 'eka store import'.",
  options: {},
  flags: [],
  args: { name: "STOREPATH", min: 1, max: Infinity },
  run: async (a, { open }) => {
    const paths = a.positionals.map((p) => storePathArg(p));
    refuseTty("export");
    const store = await open();
    for (const chunk of exportPaths(store, paths)) await write(chunk);
    return 0;
  },
});

export const importCommand = storeCommand({
  usage: "import [--trusted-key NAME:BASE64]… [--json] < FILE",
  creates: true,
  summary: "Import paths written by 'eka store export'; with --trusted-key every path must be signed by one.",
  details: "Prints the imported store paths. A bad export stops the import at the first bad path.",
  options: { "trusted-key": { type: "string", multiple: true }, json: { type: "boolean" } },
  flags: [
    ["--trusted-key NAME:BASE64", "require a signature by this public key (repeatable)"],
    ["--json", "print a JSON array of the imported store paths"],
  ],
  run: async (a, { open }) => {
    const store = await open();
    const keys = a.values["trusted-key"];
    const paths = await importPaths(store, process.stdin, { where: "the export on stdin", ...(keys ? { trustedKeys: keys } : {}) });
    outPaths(paths, a.values.json);
    return 0;
  },
});
