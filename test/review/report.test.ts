// review.json → review.md and the parts of the report that need no build: merged log tails,
// colour codes stripped, the comment-size trimming order, text diffs, --size-threshold.
import { describe, expect, it } from "vitest";
import { textDiff } from "../../src/review/compare.ts";
import { MARKDOWN_LIMIT, renderMarkdown } from "../../src/review/markdown.ts";
import { logTail, makeReview } from "../../src/review/report.ts";
import type { AtomRow, Review } from "../../src/review/types.ts";
import { parseThreshold } from "../../src/cli/commands/review.ts";

const side = (status: AtomRow["head"] extends infer S ? (S extends { status: infer T } ? T : never) : never, size = 1000) => ({ version: "1.0.0", dir: "x", pid: "0".repeat(64), storePath: "/nix/store/x", status, cid: "c", narSize: size, closureSize: size });

function row(key: string, category: AtomRow["category"], more: Partial<AtomRow> = {}): AtomRow {
  return { key, id: key, host: "wasm32-wasip1", change: "changed", category, base: side("cached"), head: side("built"), reasons: [{ kind: "version", from: "1.0.0", to: "1.0.1" }], blastRadius: 0, moved: null, identicalOutput: false, size: null, deps: [], closureAdded: null, files: [], failure: null, evaluationError: null, notBuilt: null, ...more };
}

const options: Review["options"] = { base: "cached", only: [], skip: [], depth: null, maxBuilds: null, sizeThreshold: { percent: 10, bytes: 65536 }, diff: false };
const review = (rows: AtomRow[], logs = new Map<string, string>()) => makeReview({ base: { rev: "main", commit: "a".repeat(40) }, head: { rev: "pr", commit: "b".repeat(40) }, options, rows, logs });
const failure = (root: string) => ({ root, package: `${root}-1.0.0`, storePath: `/nix/store/${root}`, code: "E_BUILD_FAILED", message: "failed" });

describe("review report", () => {
  it("merges identical log tails and strips colour codes", () => {
    const log = (n: number) => Array.from({ length: 60 }, (_, i) => `\u001b[1;31mline ${i}\u001b[0m`).join("\n") + `\n${n === 0 ? "" : ""}`;
    const rv = review(
      [row("a", "newly-failing", { failure: failure("a") }), row("b", "newly-failing", { failure: failure("b") }), row("c", "dep-failed", { failure: failure("a") })],
      new Map([
        ["a", log(0)],
        ["b", log(1)],
      ]),
    );
    expect(rv.logTails).toHaveLength(1);
    const tail = rv.logTails[0] as string;
    expect(tail.split("\n")).toHaveLength(40);
    expect(tail.split("\n")[0]).toBe("line 20");
    expect(tail).not.toContain("\u001b");
    expect(rv.failures).toEqual([
      { root: "a", package: "a-1.0.0", dependents: ["c"], tail: 0, log: "a.log" },
      { root: "b", package: "b-1.0.0", dependents: [], tail: 0, log: "b.log" },
    ]);
    expect(rv.verdict).toEqual({ mergeSafe: false, reasons: ["2 newly failing"] });
    expect(logTail("a\r\nb\u001b]0;title\u0007c\n\n")).toBe("a\nbc");
  });

  it("trims review.md to a comment: still-succeeding rows first, then size rows, then to counts", () => {
    const size = { nar: { base: 1000, head: 200_000, delta: 199_000 }, closure: { base: 1000, head: 200_000, delta: 199_000 }, flagged: true };
    const many = (n: number, prefix: string, c: AtomRow["category"], more: Partial<AtomRow> = {}) => Array.from({ length: n }, (_, i) => row(`${prefix}${String(i).padStart(5, "0")}`, c, more));
    const small = review([...many(3, "ok", "still-succeeding"), ...many(2, "big", "still-succeeding", { size })]);
    const full = renderMarkdown(small);
    expect(full).toContain("### Still succeeding (5)");
    expect(full).toContain("- **ok00000** 1.0.0: ok00000 1.0.0→1.0.1 (rebuilt)");
    expect(full).toContain("### Size flags (2)");

    const rv1 = review([...many(2000, "ok", "still-succeeding"), ...many(2, "big", "still-succeeding", { size })]);
    const md1 = renderMarkdown(rv1);
    expect(md1.length).toBeLessThan(MARKDOWN_LIMIT);
    expect(md1).not.toContain("**ok00000**");
    expect(md1).toContain("_Rows left out to fit a comment; see review.json._");
    expect(md1).toContain("| big00000 |");

    const rv2 = review([...many(1500, "big", "still-succeeding", { size })]);
    const md2 = renderMarkdown(rv2);
    expect(md2.length).toBeLessThan(MARKDOWN_LIMIT);
    expect(md2).not.toContain("### Size flags");
    expect(md2.split("\n")[0]).toBe("## eka review: ❌ not merge-safe (1500 size flags)");

    const rv3 = review(many(3000, "bad", "newly-failing", { failure: failure("x") }));
    const md3 = renderMarkdown(rv3);
    expect(md3.length).toBeLessThan(MARKDOWN_LIMIT);
    expect(md3).toContain("| 0 | 3000 |");
    expect(md3).toContain("_The full report did not fit in a comment; see review.json._");
    expect(md3).not.toContain("### Newly failing");
  });

  it("text diffs keep three lines of context; binary files have none", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join("\n");
    const b = a.replace("l10", "L10");
    expect(textDiff(enc(a), enc(b), "share/x.txt")).toBe(["--- a/share/x.txt", "+++ b/share/x.txt", "@@", "l7", "l8", "l9", "-l10", "+L10", "l11", "l12", "l13", ""].join("\n").replace(/^l/gm, " l"));
    expect(textDiff(new Uint8Array([0, 1]), enc("x"), "bin")).toBeNull();
  });

  it("--size-threshold takes PERCENT%[,BYTES]", () => {
    expect(parseThreshold("10%,64KiB")).toEqual({ percent: 10, bytes: 65536 });
    expect(parseThreshold("2.5%")).toEqual({ percent: 2.5, bytes: 0 });
    expect(parseThreshold("5%,1MiB")).toEqual({ percent: 5, bytes: 1 << 20 });
    expect(() => parseThreshold("ten")).toThrow(/--size-threshold wants PERCENT%\[,BYTES\]/);
  });
});
