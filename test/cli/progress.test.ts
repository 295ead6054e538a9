// The progress renderer: plain lines off a TTY, one status line redrawn in place on a TTY.
import { describe, expect, it } from "vitest";
import { ProgressRenderer } from "../../src/cli/progress.ts";

const SP = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-1.0.0";

function feed(tty: boolean): { out: string; r: ProgressRenderer; clock: { t: number } } {
  const clock = { t: 1000 };
  let out = "";
  const r = new ProgressRenderer({ write: (s: string) => (out += s) }, { tty, now: () => clock.t, tickMs: 60_000 });
  r.onEvent({ type: "plan", packagesTotal: 3, packagesToBuild: 1 });
  r.onEvent({ type: "package-start", storePath: SP, name: "hello-1.0.0", stepsTotal: 2 });
  clock.t += 1500;
  r.onEvent({ type: "step-start", storePath: SP, stepId: "cc:hello/hello.c", stepsDone: 0, stepsTotal: 2 });
  const mid = out;
  r.onEvent({ type: "step-done", storePath: SP, stepId: "cc:hello/hello.c", cached: false, ms: 900, stepsDone: 1, stepsTotal: 2 });
  r.onEvent({ type: "step-start", storePath: SP, stepId: "ld:hello", stepsDone: 1, stepsTotal: 2 });
  clock.t += 700;
  r.onEvent({ type: "step-done", storePath: SP, stepId: "ld:hello", cached: true, ms: 1, stepsDone: 2, stepsTotal: 2 });
  r.onEvent({ type: "package-done", storePath: SP, built: true, packagesDone: 1, packagesToBuild: 1, ms: 2200, stepsRun: 1, stepsCached: 1 });
  r.finish();
  return { out: tty ? mid + "\u0000" + out.slice(mid.length) : out, r, clock };
}

describe("progress", () => {
  it("prints one plain, timestamped line per event off a TTY, without escape codes", () => {
    const { out } = feed(false);
    expect(out).toBe(
      [
        "[0.0s] 1 of 3 packages to build",
        `[0.0s] building hello-1.0.0 (2 steps) ${SP}`,
        "[1.5s]   hello-1.0.0 [1/2] cc:hello/hello.c",
        "[1.5s]   hello-1.0.0 [2/2] ld:hello",
        "[2.2s] built hello-1.0.0 in 2.2s (1 run, 1 cached) [1/1]",
        "",
      ].join("\n"),
    );
  });

  it("on a TTY redraws a status line with packages and steps done/total, the running step and elapsed", () => {
    const { out } = feed(true);
    const [mid = "", rest = ""] = out.split("\u0000");
    expect(mid.endsWith("\r\x1b[K[0/1 packages, 0/2 steps, 1.5s] hello-1.0.0: cc:hello/hello.c")).toBe(true);
    expect(rest).toContain("\r\x1b[K[0/1 packages, 1/2 steps, 1.5s] hello-1.0.0: ld:hello");
    // Event lines are printed above the status line, which is cleared at the end.
    expect(rest).toContain("\r\x1b[Kbuilt hello-1.0.0 in 2.2s (1 run, 1 cached) [1/1]\n");
    expect(rest.endsWith("\r\x1b[K")).toBe(true);
  });
});
