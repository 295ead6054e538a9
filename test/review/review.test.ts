// `eka review BASE HEAD` on a temporary git repository of small C atoms built with the real seed:
// each test commits one change and reviews it against the previous commit, checking review.json
// and review.md field by field. One store for the file, so later reviews find earlier builds.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { canonicalize } from "json-canonicalize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AtomRow, Review } from "../../src/review/types.ts";
import { APP_C, helloToml, makeFixture, PNG_C, pngToml, appToml, Z_C, ZLIB_TOML, type Fixture } from "./helpers.ts";

let f: Fixture;
const commits: string[] = [];

beforeAll(async () => {
  f = makeFixture();
  commits.push(await f.commit("base"));
});

afterAll(() => rmSync(f.tmp, { recursive: true, force: true }));

async function review(base: number, head: number, name: string, ...flags: string[]) {
  const out = join(f.tmp, name);
  const r = await f.eka(["review", commits[base] as string, commits[head] as string, "-o", out, "--no-progress", ...flags]);
  if (r.status === 2 || r.status === 70) throw new Error(`eka review failed (${r.status}):\n${r.stderr}`);
  const json = readFileSync(join(out, "review.json"), "utf8");
  const rv = JSON.parse(json) as Review;
  const md = readFileSync(join(out, "review.md"), "utf8");
  // Canonical JSON, and stdout is the Markdown the file holds.
  expect(json).toBe(canonicalize(rv) + "\n");
  expect(r.stdout).toBe(md);
  // The user's tree is untouched and no worktree is left behind.
  expect(f.git("status", "--porcelain")).toBe("");
  expect(f.git("worktree", "list").trim().split("\n")).toHaveLength(1);
  const atom = (key: string) => {
    const a = rv.atoms.find((x) => x.key === key);
    if (!a) throw new Error(`no row '${key}' in review.json (rows: ${rv.atoms.map((x) => x.key).join(", ")})`);
    return a;
  };
  return { status: r.status, stderr: r.stderr, rv, md, out, atom };
}

const counts = (rv: Review) => Object.fromEntries(Object.entries(rv.counts).filter(([, n]) => n > 0));

describe("eka review", { timeout: 240_000 }, () => {
  it("a version bump rebuilds its dependents, each with the chain to the bump", async () => {
    f.write("libs/zlib/atom.toml", ZLIB_TOML("1.3.1"));
    f.write("libs/zlib/src/z.c", Z_C("return 131;"));
    commits.push(await f.commit("zlib 1.3.1"));
    const { status, rv, md, atom } = await review(0, 1, "bump", "--base=build");
    expect(status).toBe(0);
    expect(rv.version).toBe(1);
    expect(rv.base).toEqual({ rev: commits[0], commit: commits[0] });
    expect(rv.head).toEqual({ rev: commits[1], commit: commits[1] });
    expect(rv.options).toEqual({ base: "build", only: [], skip: [], depth: null, maxBuilds: null, sizeThreshold: { percent: 10, bytes: 65536 }, diff: false });
    expect(rv.verdict).toEqual({ mergeSafe: true, reasons: [] });
    expect(counts(rv)).toEqual({ "still-succeeding": 3, unchanged: 1 });
    expect(rv.atoms.map((a) => a.key)).toEqual(["app", "hello", "png", "zlib"]);

    const zlib = atom("zlib");
    expect(zlib).toMatchObject({ id: "zlib", host: "wasm32-wasip1", change: "changed", category: "still-succeeding", blastRadius: 2, identicalOutput: false, moved: null, failure: null });
    expect(zlib.reasons[0]).toEqual({ kind: "version", from: "1.3.0", to: "1.3.1" });
    expect(zlib.base).toMatchObject({ version: "1.3.0", dir: "libs/zlib", status: "built" });
    expect(zlib.head).toMatchObject({ version: "1.3.1", dir: "libs/zlib", status: "built" });
    expect(zlib.head?.pid).not.toBe(zlib.base?.pid);
    expect(zlib.files.map((x) => [x.path, x.change])).toEqual([["lib/libz.a", "modified"]]);

    const png = atom("png");
    expect(png).toMatchObject({ change: "changed", category: "still-succeeding", blastRadius: 1 });
    expect(png.reasons).toEqual([{ kind: "dependency", atom: "zlib", chain: "png ← zlib 1.3.0→1.3.1", root: { kind: "version", from: "1.3.0", to: "1.3.1" } }]);
    // png's library and header do not depend on zlib's version: a new pid, the same bytes.
    expect(png.identicalOutput).toBe(true);
    expect(png.files).toEqual([]);

    const app = atom("app");
    expect(app.reasons[0]).toEqual({ kind: "dependency", atom: "png", chain: "app ← png ← zlib 1.3.0→1.3.1", root: { kind: "version", from: "1.3.0", to: "1.3.1" } });
    expect(app.reasons[1]).toMatchObject({ kind: "dependency", atom: "zlib", chain: "app ← zlib 1.3.0→1.3.1" });
    expect(app).toMatchObject({ category: "still-succeeding", blastRadius: 0, identicalOutput: false, deps: [], closureAdded: 0 });
    expect(app.files.map((x) => [x.path, x.change])).toEqual([["bin/app.wasm", "modified"]]);
    expect(app.size?.flagged).toBe(false);

    const hello = atom("hello");
    expect(hello).toMatchObject({ change: "unchanged", category: "unchanged", reasons: [] });
    expect(hello.head?.pid).toBe(hello.base?.pid);
    expect(hello.head?.status).toBe("not-built");

    expect(md.split("\n")[0]).toBe("## eka review: ✅ merge-safe");
    expect(md).toContain("| 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 3 | 0 | 1 |");
    expect(md).toContain("1 rebuilt with identical output (pid changed, same cid).");
    expect(md).toContain("### Still succeeding (3)");
    expect(md).toContain("- **app** 0.1.0: app ← png ← zlib 1.3.0→1.3.1 (rebuilt)");
    expect(md).toContain("- **png** 1.6.0: png ← zlib 1.3.0→1.3.1 (rebuilt with identical output, blast radius 1)");
    expect(md).toContain("- **zlib** 1.3.1: zlib 1.3.0→1.3.1 (rebuilt, blast radius 2)");
    expect(md).toContain("  - `bin/app.wasm` modified");
  });

  it("a change that breaks a library: newly failing, its dependents dep-failed under it, the log's tail", async () => {
    f.write("libs/png/src/png.c", PNG_C("return 1600 + ;"));
    commits.push(await f.commit("break png"));
    const { status, rv, md, out, atom } = await review(1, 2, "break");
    expect(status).toBe(1);
    expect(rv.verdict).toEqual({ mergeSafe: false, reasons: ["1 newly failing"] });
    expect(counts(rv)).toEqual({ "newly-failing": 1, "dep-failed": 1, unchanged: 2 });
    const png = atom("png");
    expect(png).toMatchObject({ change: "changed", category: "newly-failing" });
    expect(png.reasons[0]).toMatchObject({ kind: "source", name: "main" });
    expect(png.base?.status).toBe("cached");
    expect(png.head?.status).toBe("failed");
    expect(png.failure).toMatchObject({ root: "png", package: "png-1.6.0", code: "E_BUILD_FAILED" });
    const app = atom("app");
    expect(app).toMatchObject({ category: "dep-failed" });
    expect(app.head?.status).toBe("dep-failed");
    expect(app.failure).toMatchObject({ root: "png", package: "png-1.6.0" });
    expect(app.reasons[0]).toMatchObject({ kind: "dependency", chain: expect.stringMatching(/^app ← png source main blake3:[0-9a-f]{8}→blake3:[0-9a-f]{8}$/) });
    expect(rv.failures).toEqual([{ root: "png", package: "png-1.6.0", dependents: ["app"], tail: 0, log: "png.log" }]);
    const tail = rv.logTails[0] as string;
    expect(tail).toContain("png.c");
    expect(tail).toContain("error:");
    expect(tail.split("\n").length).toBeLessThanOrEqual(40);
    expect(tail).not.toMatch(/\u001b/);
    expect(readFileSync(join(out, "logs", "png.log"), "utf8")).toContain("error:");

    expect(md.split("\n")[0]).toBe("## eka review: ❌ not merge-safe (1 newly failing)");
    expect(md).toContain("### Newly failing (1)");
    expect(md).toMatch(/- \*\*png\*\* 1\.6\.0: source main blake3:[0-9a-f]{8}→blake3:[0-9a-f]{8}: `E_BUILD_FAILED`/);
    expect(md).toContain("  - makes fail: **app**");
    expect(md).toContain("last lines of the log (logs/png.log)");
    expect(md).toContain("### Failing because a dependency fails (1)");
    expect(md).toContain("- **app** ← png (png-1.6.0)");
  });

  it("a fix: newly succeeding, the failure found in the store's logs", async () => {
    f.write("libs/png/src/png.c", PNG_C("return 1601 + zver();"));
    commits.push(await f.commit("fix png"));
    const { status, rv, md, atom } = await review(2, 3, "fix");
    expect(status).toBe(0);
    expect(counts(rv)).toEqual({ "newly-succeeding": 2, unchanged: 2 });
    expect(atom("png").base?.status).toBe("failed");
    expect(atom("png").head?.status).toBe("built");
    expect(atom("png").category).toBe("newly-succeeding");
    expect(atom("app").base?.status).toBe("dep-failed");
    expect(atom("app").category).toBe("newly-succeeding");
    expect(rv.failures).toEqual([]);
    expect(md).toContain("### Newly succeeding (2)");
  });

  it("a comment-only change to a C file: rebuilt with identical output", async () => {
    f.write("libs/zlib/src/z.c", `/* zver: the library's version, as a number. */\n${Z_C("return 131;")}`);
    commits.push(await f.commit("comment"));
    const { status, rv, md, atom } = await review(3, 4, "comment");
    expect(status).toBe(0);
    const zlib = atom("zlib");
    expect(zlib.reasons).toEqual([{ kind: "source", name: "main", from: expect.stringMatching(/^blake3:/), to: expect.stringMatching(/^blake3:/) }]);
    expect(zlib.base?.status).toBe("cached");
    expect(zlib.head?.status).toBe("built");
    expect(zlib.base?.cid).toBe(zlib.head?.cid);
    for (const key of ["zlib", "png", "app"]) {
      expect(atom(key).identicalOutput).toBe(true);
      expect(atom(key).size).toMatchObject({ nar: { delta: 0 }, closure: { delta: 0 }, flagged: false });
      expect(atom(key).files).toEqual([]);
    }
    expect(md).toContain("3 rebuilt with identical output (pid changed, same cid).");
    expect(md).toMatch(/- \*\*zlib\*\* 1\.3\.1: source main blake3:[0-9a-f]{8}→blake3:[0-9a-f]{8} \(rebuilt with identical output, blast radius 2\)/);
  });

  it("an added and a removed atom", async () => {
    f.remove("hello");
    f.write("tools/extra/atom.toml", helloToml("extra"));
    f.write("tools/extra/src/extra.c", '#include <stdio.h>\nint main(void) { puts("extra"); return 0; }\n');
    commits.push(await f.commit("add extra, remove hello"));
    const { status, rv, md, atom } = await review(4, 5, "add-remove");
    expect(status).toBe(0);
    expect(counts(rv)).toEqual({ added: 1, removed: 1, unchanged: 3 });
    expect(atom("extra")).toMatchObject({ change: "added", category: "added", base: null, head: { version: "1.0.0", dir: "tools/extra", status: "built" } });
    expect(atom("hello")).toMatchObject({ change: "removed", category: "removed", head: null, base: { dir: "hello" } });
    expect(md).toContain("### Added (1)\n\n- **extra** 1.0.0 (`tools/extra`)");
    expect(md).toContain("### Removed (1)\n\n- **hello** 1.0.0 (`hello`)");
  });

  it("a moved directory is the same atom, not an add and a remove", async () => {
    f.move("libs/png", "pkgs/png");
    f.write("pkgs/png/atom.toml", pngToml("../../libs/zlib"));
    f.write("apps/app/atom.toml", appToml("../../pkgs/png"));
    commits.push(await f.commit("move png"));
    const { status, rv, md, atom } = await review(5, 6, "move");
    expect(status).toBe(0);
    expect(counts(rv)).toEqual({ unchanged: 4 });
    expect(atom("png")).toMatchObject({ change: "unchanged", moved: { from: "libs/png", to: "pkgs/png" } });
    expect(atom("app")).toMatchObject({ change: "unchanged", moved: null });
    expect(md).toContain("### Moved (1)\n\n- **png**: `libs/png` → `pkgs/png`");
  });

  it("a broken manifest is an evaluation error of its atom and those that load it; the run goes on", async () => {
    f.write("libs/zlib/atom.toml", ZLIB_TOML("1.3.1").replace("[build]\n", "[build\n"));
    f.write("tools/extra/src/extra.c", '#include <stdio.h>\nint main(void) { puts("extra 2"); return 0; }\n');
    commits.push(await f.commit("break zlib's manifest"));
    const { status, rv, md, atom } = await review(6, 7, "eval-error");
    expect(status).toBe(1);
    expect(rv.verdict).toEqual({ mergeSafe: false, reasons: ["3 evaluation errors"] });
    expect(counts(rv)).toEqual({ "evaluation-error": 3, "still-succeeding": 1 });
    expect(atom("zlib")).toMatchObject({ change: "evaluation-error", category: "evaluation-error", head: null, evaluationError: { dir: "libs/zlib", code: "E_MANIFEST_SYNTAX" } });
    expect(atom("zlib").evaluationError?.message).toContain("libs/zlib/atom.toml");
    expect(atom("png")).toMatchObject({ category: "evaluation-error", evaluationError: { dir: "pkgs/png", code: "E_MANIFEST_SYNTAX" } });
    expect(atom("app")).toMatchObject({ category: "evaluation-error", evaluationError: { dir: "apps/app" } });
    // The run went on: the other change was built.
    expect(atom("extra")).toMatchObject({ category: "still-succeeding", head: { status: "built" } });
    expect(md.split("\n")[0]).toBe("## eka review: ❌ not merge-safe (3 evaluation errors)");
    expect(md).toContain("### Evaluation errors (3)");
    expect(md).toContain("- **zlib** (`libs/zlib`): `E_MANIFEST_SYNTAX`");
  });

  it("a size flag: the package grows by more than the threshold", async () => {
    f.write("libs/zlib/atom.toml", ZLIB_TOML("1.3.1"));
    f.write("apps/app/src/main.c", APP_C(`static const char blob[] = "${"eka review ".repeat(10_000)}";`, " + blob[pngver() % 100]"));
    commits.push(await f.commit("grow app"));
    const { status, rv, md, atom } = await review(6, 8, "size");
    expect(status).toBe(1);
    expect(rv.verdict).toEqual({ mergeSafe: false, reasons: ["1 size flag"] });
    expect(counts(rv)).toEqual({ "size-flag": 1, "still-succeeding": 2, unchanged: 2 });
    const app = atom("app");
    expect(app.reasons).toEqual([{ kind: "source", name: "main", from: expect.any(String), to: expect.any(String) }]);
    expect(app.size?.flagged).toBe(true);
    expect(app.size?.nar.delta).toBeGreaterThan(100_000);
    expect(app.size?.closure.delta).toBe(app.size?.nar.delta);
    expect(app.size?.nar.base).toBe(app.base?.narSize);
    expect(atom("extra").size?.flagged).toBe(false);
    expect(md).toContain("### Size flags (1)");
    expect(md).toMatch(/\| app \| [\d.]+ KiB → [\d.]+ KiB \(\+[\d.]+ KiB\) \|/);
    // Above the threshold as given: no flag.
    const loose = await review(6, 8, "size-loose", "--size-threshold", "10%,1MiB");
    expect(loose.status).toBe(0);
    expect(loose.atom("app").size?.flagged).toBe(false);
  });

  it("--max-builds builds the highest blast radius first and lists the rest as not built; --json prints review.json", async () => {
    const out = join(f.tmp, "budget");
    const r = await f.eka(["review", commits[0] as string, commits[1] as string, "--base=none", "--max-builds", "1", "--json", "-o", out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(out, "review.json"), "utf8"));
    const rv = JSON.parse(r.stdout) as Review;
    const row = (k: string) => rv.atoms.find((a) => a.key === k) as AtomRow;
    expect(row("zlib")).toMatchObject({ category: "still-succeeding", notBuilt: null, head: { status: "cached" }, base: { status: "unknown" } });
    expect(row("png")).toMatchObject({ category: "not-built", notBuilt: "beyond --max-builds 1" });
    expect(row("app")).toMatchObject({ category: "not-built", notBuilt: "beyond --max-builds 1" });
    expect(existsSync(join(out, "logs"))).toBe(true);
    expect(readFileSync(join(out, "review.md"), "utf8")).toContain("### Not built (2)\n\n- **app**: app ← png ← zlib 1.3.0→1.3.1: beyond --max-builds 1\n");
  });

  it("--skip, --depth and --only choose what is built", async () => {
    const pick = async (...flags: string[]) => {
      const r = await f.eka(["review", commits[0] as string, commits[1] as string, "--base=none", "--json", ...flags]);
      expect(r.status).toBe(0);
      return Object.fromEntries((JSON.parse(r.stdout) as Review).atoms.map((a) => [a.key, a.notBuilt]));
    };
    expect(await pick("--skip", "z*")).toEqual({ app: null, hello: null, png: null, zlib: "matched --skip" });
    // app links zlib itself: one step from the change, as png is.
    expect(await pick("--depth", "0")).toEqual({ app: "dependency chain longer than --depth 0", hello: null, png: "dependency chain longer than --depth 0", zlib: null });
    expect(await pick("--depth", "1")).toEqual({ app: null, hello: null, png: null, zlib: null });
    expect(await pick("--only", "png")).toEqual({ app: "not named by --only", hello: null, png: null, zlib: "not named by --only" });
  });

  it("a revision that names no commit is an error (exit 2)", async () => {
    const r = await f.eka(["review", "no-such-branch", "HEAD"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error[E_REVIEW_REV]: 'no-such-branch' names no commit");
  });
});
