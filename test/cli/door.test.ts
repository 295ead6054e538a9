// `eka build` through the builder's one door: a no-op answers from the store alone — one lookup per
// path, no build host, no executor, no WASI runtime loaded — and a build asks the store about a
// path at most once more, under the package's build lock.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildPrepared, prepareAtom } from "../../src/cli/atoms.ts";
import { openStore, type Store } from "../../src/store/open.node.ts";
import { run } from "../helpers/spawn.ts";

let tmp = "";
let app = "";
const saved = { ...process.env };

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), "eka-door-")));
  // One repository, so app may name ../lib by path.
  mkdirSync(join(tmp, ".git"));
  const atom = (name: string, body: string, files: Record<string, string>) => {
    mkdirSync(join(tmp, name, "src"), { recursive: true });
    writeFileSync(join(tmp, name, "atom.toml"), `[atom]\nid = "${name}"\nversion = "1.0.0"\n\n[srcs.main]\npath = "src"\n\n${body}`);
    for (const [f, text] of Object.entries(files)) writeFileSync(join(tmp, name, "src", f), text);
    return join(tmp, name);
  };
  atom("lib", `[build]\nkind = "c"\n\n[build.lib.l]\nsources = ["l.c"]\nheaders = ["l.h"]\n`, { "l.h": "int l(void);\n", "l.c": "int l(void) { return 7; }\n" });
  app = atom("app", `[deps.lib]\npath = "../lib"\n\n[build]\nkind = "c"\n\n[build.bin.app]\nsources = ["main.c"]\nlink = ["from.lib"]\n`, {
    "main.c": "#include <l.h>\nint main(void) { return l() == 7 ? 0 : 1; }\n",
  });
  Object.assign(process.env, { EKA_CACHE: join(tmp, "cache"), EKA_STORE: join(tmp, "store"), EKA_WORKERS: "0" });
});
afterAll(() => {
  process.env = saved;
  if (tmp) spawnSync("chmod", ["-R", "u+w", tmp]);
  rmSync(tmp, { recursive: true, force: true });
});

/** The store, with every question about a path (has, queryPathInfo, closure) counted per path. */
function counted(store: Store): { store: Store; asked: Map<string, number> } {
  const asked = new Map<string, number>();
  const note = (p: string) => asked.set(p, (asked.get(p) ?? 0) + 1);
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === "has" || prop === "queryPathInfo") return (p: string) => (note(p), target[prop](p));
      if (prop === "closure") return (ps: string[]) => target.closure(ps).map((p) => (note(p), p));
      const v = Reflect.get(target, prop, target) as unknown;
      // Bound to the real store, so its own internal lookups are not counted.
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store: wrapped, asked };
}

it("builds through the door asking about each path at most twice, then a no-op asks once per path", async () => {
  const store = await openStore(join(tmp, "store"));
  const first = counted(store);
  const [built] = await buildPrepared(await prepareAtom(app, {}), { store: first.store });
  expect(built?.built).toBe(true);
  // Once when planned or mounted, once more under the build lock for the two packages built.
  // The two packages: once when planned, once more under their build lock. The seed (imported on
  // first use): once found missing, once more after its import.
  expect([...first.asked.values()]).toEqual([2, 2, 2]);
  expect([...first.asked.keys()].map((p) => p.replace(/^\/nix\/store\/[0-9a-z]{32}-/, "")).sort()).toEqual(["app-1.0.0", "lib-1.0.0", "llvm-seed-22.0.0-git20542-10"]);

  const again = counted(store);
  const [noop] = await buildPrepared(await prepareAtom(app, {}, { frozen: true }), { store: again.store });
  expect(noop).toMatchObject({ storePath: built?.storePath, cid: built?.cid, built: false, narSize: built?.narSize, closureSize: built?.closureSize });
  // The app links the library statically, so its closure is itself: one path, asked once.
  expect([...again.asked]).toEqual([[built?.storePath, 1]]);
  store.close();
}, 300_000);

it("a no-op `eka build` loads neither the build host, the executors nor the WASI runtime", async () => {
  const record = join(tmp, "loaded.txt");
  writeFileSync(record, "");
  const r = await run(process.execPath, ["--import", "tsx", join(__dirname, "fixtures/noop-build.mts"), record, app]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^\/nix\/store\/[0-9a-z]{32}-app-1\.0\.0\n$/);
  const loaded = [...new Set(readFileSync(record, "utf8").split("\n").filter((u) => u.includes("/src/")))].map((u) => u.slice(u.indexOf("/src/") + 1));
  expect(loaded).toContain("src/builder/build.ts");
  const heavy = loaded.filter((f) => /^src\/runtime\/|^src\/builder\/(host\.node|executors\.node|in-thread|package|steps|sandbox\.node)\.ts$/.test(f));
  expect(heavy).toEqual([]);
}, 120_000);
