// Node-only: `eka store verify|gc` — check the store and collect its garbage.
import { collectGarbage, fileBackendOf, gcStore, verifyStore, type FullGcResult, type GcResult } from "../../../store/index.node.ts";
import { out, storeCommand } from "./common.ts";

export const verify = storeCommand({
  usage: "verify [--check-contents] [--trusted-key NAME:BASE64]… [--json]",
  summary: "Check every path's objects exist and agree; --check-contents re-hashes every object and NAR; --trusted-key requires signatures.",
  details: "Each problem is printed as 'CODE: message' on stderr (codes in docs/errors.md); the exit status is 1 if there is any.",
  options: { "check-contents": { type: "boolean" }, "trusted-key": { type: "string", multiple: true }, json: { type: "boolean" } },
  flags: [
    ["--check-contents", "re-hash every object and every path's NAR (slow)"],
    ["--trusted-key NAME:BASE64", "require every path to be signed by one of these keys (repeatable)"],
    ["--json", 'print {"paths", "objects", "problems": [{"code", "message", …}]} as JSON'],
  ],
  run: async (a, { open }) => {
    const store = await open();
    const keys = a.values["trusted-key"];
    const r = verifyStore(store, { checkContents: !!a.values["check-contents"], ...(keys ? { trustedKeys: keys } : {}) });
    if (a.values.json) out(JSON.stringify(r, null, 2));
    else {
      for (const p of r.problems) process.stderr.write(`eka: ${p.code}: ${p.message}\n`);
      out(`${r.paths} paths${a.values["check-contents"] ? `, ${r.objects} objects re-hashed` : ""}: ${r.problems.length ? `${r.problems.length} problem(s)` : "ok"}`);
    }
    return r.problems.length ? 1 : 0;
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
