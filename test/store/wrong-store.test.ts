// Wrong store, wrong place: a command that only reads never creates a store, and says which
// directory it was pointed at and by what (--store, EKA_STORE, the default); a writer creates one
// only in a missing or empty directory; misspelt addresses are refused with the right spelling.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeStorePath } from "../../src/store/index.node.ts";
import { runEka } from "../helpers/spawn.ts";

const REPO = path.join(__dirname, "../..");
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "eka-wrong-store-")));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const home = path.join(tmp, "home");
fs.mkdirSync(home);
const cwd = path.join(tmp, "cwd");
fs.mkdirSync(cwd);
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "EKA_STORE" && k !== "XDG_DATA_HOME")) as Record<string, string>;

/** Runs `eka ARGS` in tmp/cwd with HOME in tmp and no store chosen unless `env` says. */
function eka(args: string[], env: Record<string, string> = {}) {
  return runEka(path.join(REPO, "bin/eka.js"), args, { cwd, env: { ...baseEnv, HOME: home, EKA_CACHE: path.join(tmp, "cache"), ...env } });
}

/** Every path under `dir` with its size: what "nothing was created or changed" compares. */
function snapshot(dir: string): string[] {
  if (!fs.existsSync(dir)) return ["<missing>"];
  const out: string[] = [];
  const walk = (p: string, rel: string) => {
    const st = fs.lstatSync(p);
    out.push(`${rel} ${st.isDirectory() ? "dir" : st.size}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) walk(path.join(p, n), `${rel}/${n}`);
  };
  walk(dir, "");
  return out;
}

/** The command failed with exit 1 and exactly one line: `eka: error[CODE]: …` matching each of `parts`. */
function refused(r: Awaited<ReturnType<typeof eka>>, code: string, ...parts: string[]): void {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stdout).toBe("");
  const lines = r.stderr.split("\n");
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(new RegExp(`^eka: error\\[${code}\\]: `));
  for (const p of parts) expect(lines[0]).toContain(p);
}

const P = makeStorePath(new Uint8Array(32).fill(7), "p");
const READERS: string[][] = [["store", "ls"], ["store", "verify"], ["store", "path-info", P], ["store", "cat", P], ["store", "ls-tree", P], ["store", "dump", P], ["store", "export", P], ["store", "narinfo", P], ["store", "gc"], ["store", "gc", "--dry-run"], ["log", P]];

describe("a command that only reads never creates a store", () => {
  it("--store at a missing directory: every reader fails naming the directory and --store, and nothing is created", async () => {
    const dir = path.join(tmp, "missing", "store");
    for (const args of READERS) {
      const [cmd, ...rest] = args as [string, ...string[]];
      const r = await eka(cmd === "store" ? ["store", "--store", dir, ...rest] : [cmd, "--store", dir, ...rest]);
      refused(r, "E_NO_STORE", `there is no store at ${dir} (given by --store): it does not exist`, "point --store at a store");
      expect(fs.existsSync(path.join(tmp, "missing")), args.join(" ")).toBe(false);
    }
  });

  it("EKA_STORE at an empty directory: the message names EKA_STORE, and the directory stays empty", async () => {
    const dir = path.join(tmp, "empty");
    fs.mkdirSync(dir);
    for (const args of READERS) {
      refused(await eka(args, { EKA_STORE: dir }), "E_NO_STORE", `there is no store at ${dir} (given by EKA_STORE): it is an empty directory`, "point EKA_STORE at a store");
      expect(fs.readdirSync(dir), args.join(" ")).toEqual([]);
    }
  });

  it("the default store: the message says it is the default and how to choose another; nothing appears under HOME or XDG_DATA_HOME", async () => {
    const def = path.join(home, ".local/share/eka/store");
    refused(await eka(["store", "ls"]), "E_NO_STORE", `there is no store at ${def} (the default store, as neither --store nor EKA_STORE is set)`, "pass --store or set EKA_STORE");
    refused(await eka(["log", P]), "E_NO_STORE", def);
    expect(fs.readdirSync(home)).toEqual([]);
    const xdg = path.join(tmp, "xdg");
    refused(await eka(["store", "verify"], { XDG_DATA_HOME: xdg }), "E_NO_STORE", `${xdg}/eka/store (the default store under $XDG_DATA_HOME`);
    expect(fs.existsSync(xdg)).toBe(false);
  });
});

describe("only a writer creates a store, and only in a missing or empty directory", () => {
  const file = path.join(tmp, "f.txt");
  fs.writeFileSync(file, "content\n");

  it("`eka store add` creates a store (with its marker) in a missing or an empty directory; readers then see it", async () => {
    for (const dir of [path.join(tmp, "new", "store"), fs.mkdtempSync(path.join(tmp, "empty-"))]) {
      const r = await eka(["store", "--store", dir, "add", file]);
      expect(r.status, r.stderr).toBe(0);
      expect(fs.existsSync(path.join(dir, "eka-store"))).toBe(true);
      expect((await eka(["store", "--store", dir, "ls"])).stdout).toBe(r.stdout);
      expect((await eka(["store", "--store", dir, "verify"])).status).toBe(0);
    }
  });

  it("a directory holding other files is no store, for readers and writers alike: refused, named, left as it was", async () => {
    const dir = path.join(tmp, "project");
    fs.mkdirSync(path.join(dir, "src"), { recursive: true });
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine\n");
    const before = snapshot(dir);
    for (const args of [["store", "--store", dir, "ls"], ["store", "--store", dir, "add", file], ["store", "--store", dir, "import"], ["store", "--store", dir, "gc"]]) {
      refused(await eka(args), "E_NOT_A_STORE", `${dir} (given by --store) is not an eka store: it holds other files (notes.txt, src)`, "point --store at a store, or at a new or empty directory");
      expect(snapshot(dir), args.join(" ")).toEqual(before);
    }
    // `eka build` writes, and refuses it the same way (EKA_STORE this time).
    refused(await eka(["build", path.join(REPO, "examples/hello"), "--frozen"], { EKA_STORE: dir }), "E_NOT_A_STORE", `${dir} (given by EKA_STORE) is not an eka store`);
    expect(snapshot(dir)).toEqual(before);
    const asFile = path.join(tmp, "a-file");
    fs.writeFileSync(asFile, "x");
    refused(await eka(["store", "--store", asFile, "add", file]), "E_NOT_A_STORE", `${asFile} (given by --store) is not a directory`);
    refused(await eka(["store", "--store", path.join(asFile, "sub"), "ls"]), "E_NOT_DIRECTORY", `${asFile} is a file, so the store ${path.join(asFile, "sub")} (given by --store)`);
    expect(fs.readFileSync(asFile, "utf8")).toBe("x");
  });

  it("a store made before the marker (objects/ and info/, no eka-store) is recognised; only a writer adds the marker", async () => {
    const dir = path.join(tmp, "old");
    const added = (await eka(["store", "--store", dir, "add", file])).stdout;
    fs.rmSync(path.join(dir, "eka-store"));
    for (const d of ["checkout", "gcroots", "tmp", "temproots"]) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
    const before = snapshot(dir);
    expect((await eka(["store", "--store", dir, "ls"])).stdout).toBe(added);
    expect((await eka(["store", "--store", dir, "verify"])).status).toBe(0);
    expect((await eka(["store", "--store", dir, "gc", "--dry-run"])).status).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    const other = path.join(tmp, "g.txt");
    fs.writeFileSync(other, "more\n");
    expect((await eka(["store", "--store", dir, "add", other])).status).toBe(0);
    expect(fs.existsSync(path.join(dir, "eka-store"))).toBe(true);
    expect((await eka(["store", "--store", dir, "verify"])).status).toBe(0);
  });
});

describe("misspelt store addresses get the right spelling", () => {
  const file = path.join(tmp, "h.txt");
  fs.writeFileSync(file, "h\n");

  it("`memory` (no colon) is refused, not made a directory; `memory:` works", async () => {
    refused(await eka(["store", "--store", "memory", "add", file]), "E_STORE_ADDRESS", "'memory' (given by --store) is not a store address", "write 'memory:'", "'./memory'");
    refused(await eka(["store", "ls"], { EKA_STORE: "memory" }), "E_STORE_ADDRESS", "'memory' (given by EKA_STORE)");
    expect(fs.readdirSync(cwd)).toEqual([]);
    expect((await eka(["store", "--store", "memory:", "add", file])).status).toBe(0);
  });

  it("relative file: URLs are refused naming file:///abs/path and the plain path; nothing is created anywhere, and a real store beside stays verify-clean", async () => {
    const real = path.join(cwd, "store");
    expect((await eka(["store", "--store", real, "add", file])).status).toBe(0);
    const before = snapshot(real);
    const odd = `eka-wrong-${process.pid}`;
    for (const [address, plain] of [["file://store", "store"], ["file:./store", "./store"], [`file:${odd}`, odd], [`file://./${odd}`, `./${odd}`]] as const) {
      for (const [args, env, by] of [[["store", "--store", address, "add", file], {}, "--store"], [["store", "ls"], { EKA_STORE: address }, "EKA_STORE"]] as const) {
        refused(await eka([...args], env), "E_STORE_ADDRESS", `'${address}' (given by ${by}) is not a store address: a file URL needs an absolute path (file:///abs/path)`, `give it plainly (${plain})`);
      }
    }
    expect(fs.readdirSync(cwd)).toEqual(["store"]);
    expect(fs.existsSync(`/${odd}`)).toBe(false);
    expect(snapshot(real)).toEqual(before);
    expect((await eka(["store", "--store", real, "verify"])).status).toBe(0);
    // The spellings the message gives do work.
    expect((await eka(["store", "--store", `file://${real}`, "ls"])).status).toBe(0);
    expect((await eka(["store", "--store", "store", "ls"])).status).toBe(0);
  });
});
