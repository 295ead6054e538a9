// Node-only: `eka review BASE HEAD` — should this change to a repository of atoms be merged?
// Evaluates both revisions in temporary worktrees, builds what changed, compares, and writes
// review.json (and review.md, index.html, logs/ generated from it). Exit 0 merge-safe, 1 regressions, 2 error.
import { resolve as resolvePath } from "node:path";
import { isEkaError } from "../../errors.ts";
import { HelpRequested, parseCommand, positiveInt, UsageError } from "../args.ts";
import { interruptible } from "../interrupt.ts";
import { ProgressRenderer } from "../progress.ts";

export const summary = "Review a change to a repository of atoms: what changed, what broke, merge-safe or not";
export const help = `Usage: eka review BASE HEAD [options]

Evaluates the git revisions BASE and HEAD of the repository holding the current directory (or
--repo DIR) in temporary worktrees — every atom.toml, with frozen locks — and classifies each
atom (by id and host) as added, removed, unchanged (same pid) or changed, with the reason: the
first differing input (version, source, lock, flags/config, or a dependency, with the chain).
Then builds what changed at HEAD (what the store has is not rebuilt), takes the base side from
the store (--base), and compares: newly failing, newly succeeding, still failing, still
succeeding, added, removed, evaluation errors; rebuilt with identical output; size changes;
runtime dependency and file-tree diffs; the last 40 lines of each failing log.

The verdict comes first: merge-safe when there are no evaluation errors, no newly failing
atoms and no size flags. Exit status: 0 merge-safe, 1 regressions, 2 an error.

Options:
      --repo DIR             The repository (default: the one holding the current directory)
      --base MODE            The base side's results: cached (default: from the store only),
                             build (build what the store lacks), none (not compared)
      --only ATOM            Build only this atom (id or glob; repeatable)
      --skip GLOB            Do not build atoms whose id matches (repeatable)
      --depth N              Build only atoms at most N dependency steps from a change
      --max-builds N         Build at most N changed atoms, highest blast radius first
      --size-threshold SPEC  Flag growth above PERCENT% and BYTES together
                             (default 10%,64KiB; e.g. 5%,1MiB)
      --diff                 Text diffs of changed files in the outputs
  -o, --out DIR              Write review.json, review.md, index.html and logs/ to DIR
      --json                 Print review.json instead of the Markdown
  -j, --jobs N               Run at most N build commands at once
      --no-progress          Do not show build progress
  -h, --help                 Show this help

The store is $EKA_STORE, or ~/.local/share/eka/store. The JSON is described in docs/review.md.

Examples:
  eka review main HEAD -o review
  eka review origin/main my-branch --base=build --max-builds 20
`;

const OPTIONS = {
  repo: { type: "string" },
  base: { type: "string" },
  only: { type: "string", multiple: true },
  skip: { type: "string", multiple: true },
  depth: { type: "string" },
  "max-builds": { type: "string" },
  "size-threshold": { type: "string" },
  diff: { type: "boolean" },
  out: { type: "string", short: "o" },
  json: { type: "boolean" },
  jobs: { type: "string", short: "j" },
  "no-progress": { type: "boolean" },
} as const;

const CMD = "eka review";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand({ command: CMD, help, options: OPTIONS, args: { name: "BASE HEAD", min: 2, max: 2 } }, argv);
  const baseMode = values.base ?? "cached";
  if (baseMode !== "build" && baseMode !== "cached" && baseMode !== "none") throw new UsageError(CMD, `--base is build, cached or none, not '${baseMode}'`);
  const depth = values.depth === undefined ? null : wholeNumber("depth", values.depth);
  const maxBuilds = values["max-builds"] === undefined ? null : wholeNumber("max-builds", values["max-builds"]);
  const jobs = positiveInt(CMD, "jobs", values.jobs);
  const sizeThreshold = parseThreshold(values["size-threshold"] ?? "10%,64KiB");
  try {
    return await review(positionals[0] as string, positionals[1] as string, {
      repo: resolvePath(values.repo ?? "."),
      options: { base: baseMode, only: values.only ?? [], skip: values.skip ?? [], depth, maxBuilds, sizeThreshold, diff: values.diff === true },
      out: values.out,
      json: values.json === true,
      jobs,
      progress: values["no-progress"] || values.json || process.stderr.isTTY !== true ? undefined : new ProgressRenderer(process.stderr, { tty: true }),
    });
  } catch (e) {
    // An error (not a regression) is exit 2, as the verdict's contract says.
    if (e instanceof HelpRequested || isEkaError(e, "E_USAGE") || isEkaError(e, "E_ABORTED") || !isEkaError(e)) throw e;
    process.stderr.write(`eka: error[${e.code}]: ${e.message}\n`);
    return 2;
  }
}

interface RunOptions {
  repo: string;
  options: import("../../review/types.ts").Review["options"];
  out: string | undefined;
  json: boolean;
  jobs: number | undefined;
  progress: ProgressRenderer | undefined;
}

async function review(baseRev: string, headRev: string, o: RunOptions): Promise<number> {
  const [{ runReview, writeReviewOutputs }, report, { renderMarkdown }, { openStore }] = await Promise.all([
    import("../../review/run.node.ts"),
    import("../../review/report.ts"),
    import("../../review/markdown.ts"),
    import("../../store/open.node.ts"),
  ]);
  const store = await openStore();
  const r = await runReview(o.repo, baseRev, headRev, {
    store,
    options: o.options,
    ...(o.jobs ? { jobs: o.jobs } : {}),
    ...(o.progress ? { onProgress: o.progress.onEvent } : {}),
    around: async (build) => {
      try {
        await interruptible((signal) => build(signal), o.progress);
      } finally {
        o.progress?.finish();
      }
    },
  });
  const written = o.out ? writeReviewOutputs(resolvePath(o.out), r) : null;
  process.stdout.write(o.json ? (written?.json ?? report.reviewJson(r.review)) : (written?.md ?? renderMarkdown(r.review)));
  return report.exitCodeOf(r.review);
}

function wholeNumber(option: string, value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(CMD, `--${option} wants a whole number (0 or more), got '${value}'`);
  return Number(value);
}

/** `PERCENT%[,BYTES]` with BYTES as 65536, 64KiB, 1MiB. */
export function parseThreshold(spec: string): { percent: number; bytes: number } {
  const m = /^(\d+(?:\.\d+)?)%(?:,(\d+)(B|KiB|MiB|GiB)?)?$/.exec(spec.trim());
  if (!m) throw new UsageError(CMD, `--size-threshold wants PERCENT%[,BYTES] such as 10%,64KiB, got '${spec}'`);
  const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[(m[3] ?? "B") as "B"];
  return { percent: Number(m[1]), bytes: m[2] === undefined ? 0 : Number(m[2]) * unit };
}


