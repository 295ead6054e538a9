// Other operating systems' path rules, simulated on this host (EKA_HOST_RULES): the same atom has
// the same pid and cid as written, as macOS makes it (NFD names) and as Windows' git makes it
// (a CRLF checkout); trees those systems cannot hold stop the build naming both paths. Real
// directories, real git, `eka build` spawned from bin/eka.js as a user runs it.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isEkaError } from "../../src/errors.ts";
import { toLf, toLfBytes } from "../../src/store/git-eol.node.ts";
import { existsInTree, hostJoin, hostRules, isInside, treeNames, treePathOf } from "../../src/store/host-rules.node.ts";
import { hostContentHash, hostTree } from "../../src/store/host-tree.node.ts";
import { bytesHash } from "../../src/store/hash.ts";
import { initBlake3 } from "../../src/util/blake3.ts";
import { withGitCheckout } from "../../src/util/git.node.ts";

const REPO = join(__dirname, "../..");
const EKA = join(REPO, "bin/eka.js");
let tmp = "";

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `eka args` under `rules` (undefined: this system's), into its own store unless one is given. */
function eka(args: string[], rules?: string, store = join(tmp, `store-${Math.random().toString(36).slice(2)}`)): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env, EKA_STORE: store, EKA_CACHE: join(tmp, "cache"), EKA_DAEMON: "off" };
  if (rules === undefined) delete env.EKA_HOST_RULES;
  else env.EKA_HOST_RULES = rules;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [EKA, ...args], { cwd: tmp, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    p.on("error", reject);
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

async function built(dir: string, rules?: string, extra: string[] = []): Promise<{ pid: string; cid: string }> {
  const r = await eka(["build", dir, "--json", ...extra], rules);
  if (r.status !== 0) throw new Error(`eka build ${dir} (${rules ?? "host"} rules): exit ${r.status}\n${r.stderr}`);
  const { pid, cid } = JSON.parse(r.stdout).results[0];
  return { pid, cid };
}

const git = (args: string[], cwd: string) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] }).toString();

// The names a macOS user types and HFS+ stores decomposed.
const DIR = "dätä";
const FILE = "grüße";

/** The atom: a library in a directory with a non-ASCII name whose header is installed, a program linking it, and files a build does not read. */
function writeAtom(root: string): void {
  const src = join(root, "atom/src");
  mkdirSync(join(src, DIR), { recursive: true });
  writeFileSync(
    join(root, "atom/atom.toml"),
    `[atom]\nid = "os-sim"\nversion = "1.0.0"\n\n[srcs.main]\npath = "src"\n\n[build]\nkind = "c"\ncflags = ["-O2"]\n\n` +
      `[build.lib.gruss]\nsources = ["${DIR}/${FILE}.c"]\nheaders = ["${DIR}/${FILE}.h"]\n\n[build.bin.hello]\nsources = ["main.c"]\nlink = ["gruss"]\n`,
  );
  writeFileSync(join(src, "main.c"), `#include <stdio.h>\n#include "${DIR}/${FILE}.h"\n\nint main(void) {\n  puts(gruss());\n  return 0;\n}\n`);
  writeFileSync(join(src, DIR, `${FILE}.h`), "const char *gruss(void);\n");
  writeFileSync(join(src, DIR, `${FILE}.c`), `#include "${FILE}.h"\n\nconst char *gruss(void) { return "Grüße"; }\n`);
  // Binary (a NUL) with CRLF in it: git never converts it, nor may eka.
  writeFileSync(join(src, "data.bin"), Buffer.from("a\r\nb\0\r\nc\r\n", "latin1"));
  // Committed with CRLF: every checkout keeps it so (git's "safer autocrlf"), and so must eka.
  writeFileSync(join(src, "crlf.txt"), "one\r\ntwo\r\n");
  // eol=crlf: CRLF in every checkout, LF in git.
  writeFileSync(join(src, "run.bat"), "@echo off\necho hi\n");
  writeFileSync(join(root, ".gitattributes"), "*.bat eol=crlf\n");
}

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), "eka-host-rules-")));
});

describe("path rules as functions (path.win32 on a Linux host)", () => {
  it("turns Windows host paths into tree paths and back", () => {
    const w = path.win32;
    expect(treePathOf("C:\\work\\repo", "C:\\work\\repo\\a\\b.c", w)).toBe("a/b.c");
    expect(treePathOf("C:\\work\\repo", "c:\\WORK\\Repo\\a\\b.c", w)).toBe("a/b.c");
    expect(treePathOf("C:\\work\\repo", "C:\\work\\repo", w)).toBe("");
    expect(treePathOf("C:\\work\\repo", "C:\\work\\repo2\\a.c", w)).toBeNull();
    expect(treePathOf("C:\\work\\repo", "D:\\work\\repo\\a.c", w)).toBeNull();
    expect(hostJoin("C:\\work\\repo", "a/b.c", w)).toBe("C:\\work\\repo\\a\\b.c");
    expect(isInside("C:\\Users\\me\\.cache\\eka\\atoms\\abc", "C:\\Users\\me\\.cache\\eka\\atoms", w)).toBe(true);
    expect(isInside("C:\\Users\\me\\.cache\\eka\\atoms2", "C:\\Users\\me\\.cache\\eka\\atoms", w)).toBe(false);
    expect(treePathOf("/work/repo", "/work/repo/a/b.c", path.posix)).toBe("a/b.c");
    expect(treePathOf("/work/repo", "/work/Repo/a/b.c", path.posix)).toBeNull();
  });

  it("takes the rules from EKA_HOST_RULES, else from the platform; refuses another value", () => {
    expect(hostRules({}, "linux")).toBe("posix");
    expect(hostRules({}, "darwin")).toBe("darwin");
    expect(hostRules({}, "win32")).toBe("win32");
    expect(hostRules({ EKA_HOST_RULES: "win32" }, "linux")).toBe("win32");
    let err: unknown;
    try {
      hostRules({ EKA_HOST_RULES: "windows" }, "linux");
    } catch (e) {
      err = e;
    }
    expect(isEkaError(err, "E_HOST_RULES") && err.message).toContain("'windows' is not one of posix, win32, darwin");
  });

  it("refuses names Windows cannot hold, under win32 rules only", () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isEkaError(e) ? `${e.code}: ${e.message}` : String(e);
      }
      return "no error";
    };
    for (const name of ["aux.c", "NUL", "com1.txt", "a:b", "what?", "trail.", "trail "]) {
      expect(codeOf(() => treeNames("/d", [name], "win32"))).toMatch(new RegExp(`^E_BAD_FILE_NAME: /d/${name.replace(/[.?]/g, "\\$&")}: the name `));
      expect(treeNames("/d", [name], "posix")).toEqual([name]);
      expect(treeNames("/d", [name], "darwin")).toEqual([name]);
    }
    expect(treeNames("/d", ["auxiliary.c", "con-fig.h", "a.b"], "win32")).toEqual(["auxiliary.c", "con-fig.h", "a.b"]);
  });

  it("makes CRLF LF across chunk boundaries, keeping a lone CR", () => {
    const text = (parts: string[]) => Buffer.concat([...toLf(parts.map((p) => Buffer.from(p, "latin1")))]).toString("latin1");
    expect(text(["a\r", "\nb\r\n"])).toBe("a\nb\n");
    expect(text(["a\r", "b\r"])).toBe("a\rb\r");
    expect(text(["\r", "\r", "\n", "\r"])).toBe("\r\n\r");
    expect(text(["x\r\r\ny"])).toBe("x\r\ny");
    expect(Buffer.from(toLfBytes(Buffer.from("no crs\n"))).toString()).toBe("no crs\n");
  });
});

describe("host trees under other systems' rules", () => {
  it("an NFD name is found by its NFC spelling under darwin rules, and by nothing that differs in case", () => {
    const root = join(tmp, "lookup");
    mkdirSync(join(root, DIR.normalize("NFD")), { recursive: true });
    writeFileSync(join(root, DIR.normalize("NFD"), "Foo.c"), "");
    expect(existsInTree(root, `${DIR}/Foo.c`, "darwin")).toBe(true);
    expect(existsInTree(root, `${DIR}/Foo.c`, "posix")).toBe(false);
    expect(existsInTree(root, `${DIR.normalize("NFD")}/foo.c`, "win32")).toBe(false);
    expect(existsInTree(root, `${DIR.normalize("NFD")}/Foo.c`, "win32")).toBe(true);
    expect(hostTree(root, { rules: "darwin" }).readdir("")).toEqual([DIR]);
    expect(hostTree(root, { rules: "darwin" }).stat(`${DIR}/Foo.c`)).toMatchObject({ kind: "file", size: 0 });
    expect(hostTree(root, { rules: "posix" }).stat(`${DIR}/Foo.c`)).toBeNull();
    expect(hostTree(root).readdir("")).toEqual([DIR.normalize("NFD")]);
  });

  it("leaves a CRLF file outside any git work tree as it is", async () => {
    await initBlake3();
    const file = join(tmp, "plain-crlf.txt");
    writeFileSync(file, "a\r\nb\r\n");
    expect(hostContentHash(file, "blake3")).toBe(`blake3:${bytesHash(readFileSync(file), "blake3")}`);
  });
});

describe("fetched git sources", () => {
  it("keep the commit's line endings when this machine's git config would write CRLF", async () => {
    const repo = join(tmp, "fetched");
    mkdirSync(repo);
    writeFileSync(join(repo, "a.c"), "int a;\nint b;\n");
    git(["init", "-q", "."], repo);
    git(["add", "-A"], repo);
    git(["commit", "-qm", "a"], repo);
    const rev = git(["rev-parse", "HEAD"], repo).trim();
    const global = join(tmp, "gitconfig-autocrlf");
    writeFileSync(global, "[core]\n\tautocrlf = true\n");
    const saved = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = global;
    try {
      // What a plain clone on such a machine (Git for Windows' default) writes:
      execFileSync("git", ["clone", "-q", repo, join(tmp, "fetched-clone")], { stdio: "ignore" });
      expect(readFileSync(join(tmp, "fetched-clone/a.c"), "utf8")).toBe("int a;\r\nint b;\r\n");
      expect(await withGitCheckout(`file://${repo}`, rev, (dir) => readFileSync(join(dir, "a.c"), "utf8"))).toBe("int a;\nint b;\n");
    } finally {
      if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved;
    }
  });
});

describe("the same atom on three systems' checkouts", () => {
  it("gives one pid and cid as written, as macOS names it (NFD) and as Windows' git checks it out (CRLF)", async () => {
    const repo = join(tmp, "repo");
    writeAtom(repo);
    git(["init", "-q", "."], repo);
    // The lock is written here, under this host's rules, and committed; the others must match it.
    const resolved = await eka(["resolve", join(repo, "atom")], "posix");
    expect(resolved.status, resolved.stderr).toBe(0);
    git(["add", "-A"], repo);
    git(["commit", "-qm", "atom"], repo);
    const asWritten = await built(join(repo, "atom"), "posix", ["--frozen"]);

    // (b) macOS: the directory and file names decomposed on disk, as HFS+ returns them.
    const mac = join(tmp, "mac");
    cpSync(join(repo, "atom"), join(mac, "atom"), { recursive: true });
    const src = join(mac, "atom/src");
    renameSync(join(src, DIR), join(src, DIR.normalize("NFD")));
    for (const ext of [".c", ".h"]) renameSync(join(src, DIR.normalize("NFD"), FILE + ext), join(src, DIR.normalize("NFD"), FILE.normalize("NFD") + ext));
    // Read byte for byte, as posix rules do, the NFD tree is another source.
    const stale = await eka(["build", join(mac, "atom"), "--frozen"], "posix");
    expect(stale.stderr).toContain("E_LOCK_STALE");
    expect(await built(join(mac, "atom"), "darwin", ["--frozen"])).toEqual(asWritten);

    // (c) Windows: git's checkout with core.autocrlf=true (Git for Windows' default) writes CRLF.
    const win = join(tmp, "win");
    execFileSync("git", ["clone", "-q", "-c", "core.autocrlf=true", repo, win], { stdio: "ignore" });
    const checkedOut = (f: string) => readFileSync(join(win, "atom/src", f), "latin1");
    expect(checkedOut("main.c")).toContain("\r\n");
    expect(checkedOut("run.bat")).toContain("\r\n");
    expect(checkedOut("data.bin")).toBe("a\r\nb\0\r\nc\r\n");
    expect(await built(join(win, "atom"), "win32", ["--frozen"])).toEqual(asWritten);
  }, 600_000);
});

describe("trees another system cannot hold", () => {
  const atom = (name: string, files: Record<string, string>) => {
    const dir = join(tmp, name);
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(join(dir, "atom.toml"), `[atom]\nid = "${name}"\nversion = "1.0.0"\n\n[srcs.main]\npath = "src"\n\n[build]\nkind = "c"\n\n[build.bin.m]\nsources = ["m.c"]\n`);
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, "src", f), text);
    return dir;
  };

  it("two names differing only in case: the error names both under darwin and win32 rules; posix builds", async () => {
    const dir = atom("twins", { "m.c": '#include "foo.h"\nint main(void) { return A; }\n', "Foo.h": "#define A 1\n", "foo.h": "#define A 0\n" });
    for (const rules of ["darwin", "win32"]) {
      const r = await eka(["build", dir], rules);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("error[E_CASE_COLLISION]");
      expect(r.stderr).toContain(`${join(dir, "src/Foo.h")} and ${join(dir, "src/foo.h")} differ only in case`);
    }
    await built(dir, "posix");
  }, 300_000);

  it("two names differing only in Unicode normalisation collide under darwin rules", async () => {
    const dir = atom("nfd-twins", { "m.c": "int main(void) { return 0; }\n", [`${FILE}.h`]: "", [`${FILE.normalize("NFD")}.h`]: "" });
    const r = await eka(["build", dir], "darwin");
    expect(r.stderr).toContain("error[E_CASE_COLLISION]");
    expect(r.stderr).toContain("differ only in Unicode normalisation (NFC/NFD)");
  });

  it("a symlink: the error names the link and its target under win32 rules", async () => {
    const dir = atom("linked", { "m.c": "int main(void) { return 0; }\n" });
    mkdirSync(join(dir, "src/real"));
    symlinkSync("real", join(dir, "src/alias"));
    const r = await eka(["build", dir], "win32");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error[E_SYMLINK_UNSUPPORTED]: ${join(dir, "src/alias")} is a symlink to ${join(dir, "src/real")}`);
    const ok = await eka(["resolve", dir], "darwin");
    expect(ok.status, ok.stderr).toBe(0);
    rmSync(join(dir, "atom.lock"));
  });
});
