// The portal's order of open pull requests — rebuilds, then newly failing, then lines changed,
// most first; those without a finished review last — and its pages showing titles as text.
import { describe, expect, it } from "vitest";
import { orderPrs, renderIndex, renderPr, type PrListing } from "../../src/ci/portal.node.ts";
import type { Job, JobSummary, PullRequest } from "../../src/ci/queue.node.ts";

const pr = (number: number, title = `PR ${number}`): PullRequest => ({ number, title, state: "open", baseRef: "main", baseSha: "a".repeat(40), headSha: "b".repeat(40), owner: "o", repo: "r", installation: 1, updated: 0 });
const job = (id: number, summary: JobSummary | null, state: Job["state"] = "done"): Job => ({ id, kind: "pull_request", pr: id, owner: "o", repo: "r", installation: 1, baseSha: "a".repeat(40), headSha: "b".repeat(40), only: [], state, created: 0, started: 0, finished: 0, error: null, summary });
const sum = (rebuilds: number, newlyFailing: number, linesChanged: number): JobSummary => ({ mergeSafe: newlyFailing === 0, counts: {}, rebuilds, newlyFailing, linesChanged });
const listing = (n: number, s: JobSummary | null): PrListing => ({ pr: pr(n), latest: job(n, s, s ? "done" : "queued"), finished: s ? job(n, s) : null });

describe("the portal", () => {
  it("orders by rebuilds, then newly failing, then lines changed, most first; unreviewed last, by number", () => {
    const list = [listing(1, sum(1, 0, 900)), listing(2, sum(5, 0, 1)), listing(3, sum(5, 2, 1)), listing(4, sum(5, 2, 30)), listing(5, null), listing(6, sum(0, 0, 0)), listing(7, null)];
    expect(orderPrs(list).map((l) => l.pr.number)).toEqual([4, 3, 2, 1, 6, 5, 7]);
    const html = renderIndex(list);
    expect([...html.matchAll(/<tr data-pr="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([4, 3, 2, 1, 6, 5, 7]);
  });

  it("shows a title as text, and loads nothing but its own script and style", () => {
    const hostile = pr(9, `<img src="https://example.invalid/x.png" onerror="alert(1)">`);
    for (const html of [renderIndex([{ pr: hostile, latest: null, finished: null }]), renderPr(hostile, null, null, null)]) {
      expect(html).not.toContain("<img");
      expect(html).toContain("&lt;img src=&quot;https://example.invalid/x.png&quot;");
      expect([...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]).filter((u) => !u?.startsWith("/") && !u?.startsWith("data:"))).toEqual([]);
    }
  });
});
