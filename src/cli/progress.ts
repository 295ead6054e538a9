// Node-only: renders build progress. On a TTY one status line is redrawn in place; otherwise each
// event worth knowing is one plain line, so logs and CI output stay readable.
import type { ProgressEvent } from "../builder/types.ts";

export interface ProgressSink {
  write(s: string): unknown;
}

export interface ProgressOptions {
  /** Redraw in place (a terminal); default: plain lines. */
  tty?: boolean;
  now?: () => number;
  /** Refresh the elapsed time on a TTY even when no event arrives. */
  tickMs?: number;
}

export class ProgressRenderer {
  private readonly t0: number;
  private readonly now: () => number;
  private packagesTotal = 0;
  private packagesToBuild = 0;
  private packagesDone = 0;
  private stepsDone = 0;
  private stepsTotal = 0;
  private readonly running = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private readonly perPackage = new Map<string, { done: number; total: number }>();
  private lineShown = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly out: ProgressSink,
    private readonly opts: ProgressOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.t0 = this.now();
    if (opts.tty) {
      this.timer = setInterval(() => this.draw(), opts.tickMs ?? 250);
      this.timer.unref?.();
    }
  }

  readonly onEvent = (e: ProgressEvent): void => {
    switch (e.type) {
      case "plan":
        this.packagesTotal = e.packagesTotal;
        this.packagesToBuild = e.packagesToBuild;
        if (e.packagesToBuild > 0) this.line(`${e.packagesToBuild} of ${e.packagesTotal} packages to build`);
        break;
      case "package-start":
        this.names.set(e.storePath, e.name);
        this.perPackage.set(e.storePath, { done: 0, total: e.stepsTotal });
        this.stepsTotal += e.stepsTotal;
        this.line(`building ${e.name} (${e.stepsTotal} steps) ${e.storePath}`);
        break;
      case "step-start":
        this.running.set(`${e.storePath} ${e.stepId}`, `${this.nameOf(e.storePath)}: ${e.stepId}`);
        if (!this.opts.tty) this.line(`  ${this.nameOf(e.storePath)} [${e.stepsDone + 1}/${e.stepsTotal}] ${e.stepId}`);
        break;
      case "step-done": {
        this.running.delete(`${e.storePath} ${e.stepId}`);
        this.stepsDone++;
        const p = this.perPackage.get(e.storePath);
        if (p) p.done = e.stepsDone;
        break;
      }
      case "package-done":
        this.packagesDone = e.packagesDone;
        this.line(`${e.built ? "built" : "have"} ${this.nameOf(e.storePath)} in ${secs(e.ms)} (${e.stepsRun} run, ${e.stepsCached} cached) [${e.packagesDone}/${e.packagesToBuild}]`);
        break;
      case "wait-lock":
        this.line(`waiting for another eka building ${e.storePath}`);
        break;
      case "repair":
        this.line(`repairing ${e.name}, found damaged in the store: ${e.problems[0] ?? e.storePath}${e.problems.length > 1 ? ` (+${e.problems.length - 1} more)` : ""}`);
        break;
    }
    this.draw();
  };

  /** Clears the status line and stops the timer; call once the build ends (either way). */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  /** The status line: packages and steps done/total, what runs, elapsed. */
  status(): string {
    const what = [...this.running.values()];
    const shown = what.length === 0 ? "" : what.length === 1 ? ` ${what[0]}` : ` ${what[0]} (+${what.length - 1} more)`;
    return `[${this.packagesDone}/${this.packagesToBuild || this.packagesTotal} packages, ${this.stepsDone}/${this.stepsTotal} steps, ${secs(this.now() - this.t0)}]${shown}`;
  }

  private nameOf(storePath: string): string {
    return this.names.get(storePath) ?? storePath.slice(storePath.indexOf("-") + 1);
  }

  private line(s: string): void {
    if (this.opts.tty) {
      this.clear();
      this.out.write(`${s}\n`);
    } else {
      this.out.write(`[${secs(this.now() - this.t0)}] ${s}\n`);
    }
  }

  private draw(): void {
    if (!this.opts.tty || this.packagesToBuild === 0) return;
    const cols = (process.stderr.columns ?? 100) - 1;
    const s = this.status();
    this.out.write(`\r\x1b[K${s.length > cols ? s.slice(0, cols - 1) + "…" : s}`);
    this.lineShown = true;
  }

  private clear(): void {
    if (this.lineShown) this.out.write("\r\x1b[K");
    this.lineShown = false;
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
