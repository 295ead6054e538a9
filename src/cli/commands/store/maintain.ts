// Node-only: `eka store verify|repair|gc` — check the store, mend it, and collect its garbage.
import { checkoutsOf, collectGarbage, fileBackendOf, gcStore, repairStore, unrepaired, verifyStore, type FullGcResult, type GcResult } from "../../../store/index.node.ts";
import { out, storeCommand, storePathArg } from "./common.ts";

export const verify = storeCommand({
  usage: "verify [--fast] [--trusted-key NAME:BASE64]… [--json]",
  summary: "Check every path: its objects re-hashed, its NAR hash recomputed, its checkout compared; --fast only checks that objects exist with their sizes.",
  details:
    "Each problem is printed on stderr as 'eka: CODE: /nix/store/…-name/file: what is wrong' (codes in docs/errors.md); the exit status is 1 if there is any. 'eka store repair' mends what it can.",
  options: { fast: { type: "boolean" }, "check-contents": { type: "boolean" }, "trusted-key": { type: "string", multiple: true }, json: { type: "boolean" } },
  flags: [
    ["--fast", "skip re-hashing: only that objects exist with their recorded sizes"],
    ["--check-contents", "the default (kept for scripts that pass it)"],
    ["--trusted-key NAME:BASE64", "require every path to be signed by one of these keys (repeatable)"],
    ["--json", 'print {"paths", "objects", "checkouts", "problems": [{"code", "storePath", "file", "message", …}]} as JSON'],
  ],
  run: async (a, { open, usage }) => {
    if (a.values.fast && a.values["check-contents"]) throw usage("--fast and --check-contents contradict each other; pass one");
    const store = await open();
    const keys = a.values["trusted-key"];
    const fb = fileBackendOf(store.backend);
    const contents = !a.values.fast;
    const r = verifyStore(store, { checkContents: contents, ...(keys ? { trustedKeys: keys } : {}), ...(fb ? { checkoutOf: checkoutsOf(fb) } : {}) });
    if (a.values.json) out(JSON.stringify(r, null, 2));
    else {
      for (const p of r.problems) process.stderr.write(`eka: ${p.code}: ${p.message}\n`);
      const checked = [`${r.paths} paths`, ...(contents ? [`${r.objects} objects re-hashed`] : []), ...(fb ? [`${r.checkouts} checkouts compared`] : [])];
      out(`${checked.join(", ")}: ${r.problems.length ? `${r.problems.length} problem(s)` : "ok"}`);
      if (r.problems.length) process.stderr.write("eka: 'eka store repair --all' mends what a checkout or a binary cache (--from) still has; 'eka build --repair ATOM' rebuilds\n");
    }
    return r.problems.length ? 1 : 0;
  },
});

export const repair = storeCommand({
  usage: "repair (STOREPATH…|--all) [--from DIR|URL] [--json]",
  summary: "Mend damaged paths: corrupt or missing objects from the path's checkout or a binary cache, changed checkouts from the objects.",
  details:
    "Only bytes that hash to what the store recorded are written, each object replaced whole. Prints what was repaired and from where. A path nothing here has the bytes of is an error (exit 1): rebuild it with 'eka build --repair ATOM'.",
  options: { all: { type: "boolean" }, from: { type: "string" }, json: { type: "boolean" } },
  flags: [
    ["--all", "every path 'eka store verify' finds a problem in, and corrupt objects no path uses (deleted)"],
    ["--from DIR|URL", "a binary cache to fetch damaged paths from (as 'eka store substitute --from' takes)"],
    ["--json", 'print {"paths", "repaired": [{"storePath", "file", "by", "message"}], "left": […]} as JSON'],
  ],
  args: { name: "STOREPATH", min: 0, max: Infinity },
  run: async (a, { open, usage }) => {
    if (!!a.values.all === a.positionals.length > 0) throw usage(a.values.all ? "give store paths or --all, not both" : "missing STOREPATH (or --all for every damaged path)");
    const paths = a.positionals.map((p) => storePathArg(p));
    const store = await open();
    const r = await repairStore(store, a.values.all ? "all" : paths, a.values.from ? { from: a.values.from } : {});
    if (a.values.json) out(JSON.stringify(r, null, 2));
    else {
      for (const x of r.repaired) out(x.message);
      if (!r.left.length) out(r.repaired.length ? `${r.repaired.length} repaired` : `${r.paths} paths: nothing to repair`);
    }
    if (r.left.length) {
      if (a.values.json) return 1;
      for (const l of r.left) process.stderr.write(`eka: ${l.code}: ${l.message}\n`);
      throw unrepaired(r);
    }
    return 0;
  },
});

export const gc = storeCommand({
  usage: "gc [--dry-run] [--json]",
  summary: "Delete every path not reachable from a gc root (e.g. a live 'result' link); reports what is freed.",
  details:
    "The roots are the result links 'eka build -o PATH' made (a link that was removed or now points elsewhere keeps nothing) and what running builds and runs use. Leftovers of writers that were killed are removed from the store's tmp/.",
  options: { "dry-run": { type: "boolean" }, json: { type: "boolean" } },
  flags: [
    ["--dry-run", "say what would be deleted; delete nothing"],
    ["--json", 'print {"deadPaths", "livePaths", "freedBytes", "deletedObjects", …} as JSON'],
  ],
  run: async (a, { open }) => {
    const store = await open();
    const dryRun = !!a.values["dry-run"];
    const r: GcResult & Partial<FullGcResult> = fileBackendOf(store.backend) ? gcStore(store, { dryRun }) : collectGarbage(store, [], { dryRun });
    if (a.values.json) out(JSON.stringify(r, null, 2));
    else {
      for (const p of r.deadPaths) out(`${dryRun ? "would delete" : "deleted"} ${p}`);
      out(`${dryRun ? "would free" : "freed"} ${r.freedBytes} bytes (${r.deadPaths.length} paths, ${r.deletedObjects} objects); ${r.livePaths} live paths kept`);
      if (r.tempRoots) out(`${r.tempRoots} of the live paths are in use by running builds or runs`);
      if (r.removedTemp) out(`${dryRun ? "would remove" : "removed"} ${r.removedTemp} leftovers of stopped writers from tmp/ (${r.removedTempBytes} bytes)`);
    }
    return 0;
  },
});
