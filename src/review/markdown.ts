// review.md: a plain renderer of review.json, under GitHub's 65,535-character comment limit —
// when too long it drops the still-succeeding rows, then the size rows, then everything but the
// counts. It decides nothing the JSON does not already say.
import { describe } from "./classify.ts";
import type { AtomRow, Category, Review } from "./types.ts";

export const MARKDOWN_LIMIT = 65_535;

const TITLES: Record<Category, string> = {
  "evaluation-error": "Evaluation errors",
  "newly-failing": "Newly failing",
  "dep-failed": "Failing because a dependency fails",
  "newly-succeeding": "Newly succeeding",
  "still-failing": "Still failing",
  added: "Added",
  removed: "Removed",
  "still-succeeding": "Still succeeding",
  "not-built": "Not built",
  unchanged: "Unchanged",
};

/** The Markdown, trimmed to fit `limit`. */
export function renderMarkdown(r: Review, limit = MARKDOWN_LIMIT): string {
  for (const level of [0, 1, 2, 3] as const) {
    const md = render(r, level);
    if (md.length < limit || level === 3) return md.length < limit ? md : md.slice(0, limit - 2) + "…\n";
  }
  return "";
}

/** 0 everything, 1 no still-succeeding rows, 2 no size rows either, 3 counts only. */
function render(r: Review, level: 0 | 1 | 2 | 3): string {
  const out: string[] = [];
  const v = r.verdict;
  out.push(`## eka review: ${v.mergeSafe ? "✅ merge-safe" : `❌ not merge-safe (${v.reasons.join(", ")})`}`, "");
  out.push(`\`${r.base.rev}\` (${r.base.commit.slice(0, 12)}) → \`${r.head.rev}\` (${r.head.commit.slice(0, 12)})`, "");
  const cols: Array<[keyof Review["counts"], string]> = [
    ["evaluation-error", "evaluation errors"],
    ["newly-failing", "newly failing"],
    ["dep-failed", "dep-failed"],
    ["size-flag", "size flags"],
    ["newly-succeeding", "newly succeeding"],
    ["still-failing", "still failing"],
    ["added", "added"],
    ["removed", "removed"],
    ["still-succeeding", "still succeeding"],
    ["not-built", "not built"],
    ["unchanged", "unchanged"],
  ];
  out.push(`| ${cols.map((c) => c[1]).join(" | ")} |`, `|${cols.map(() => "---:").join("|")}|`, `| ${cols.map((c) => r.counts[c[0]]).join(" | ")} |`, "");
  const identical = r.atoms.filter((a) => a.identicalOutput).length;
  if (identical) out.push(`${identical} rebuilt with identical output (pid changed, same cid).`, "");
  if (level === 3) {
    out.push("_The full report did not fit in a comment; see review.json._", "");
    return out.join("\n");
  }
  const rows = (c: Category) => r.atoms.filter((a) => a.category === c);
  const section = (c: Category, lines: string[]) => {
    if (lines.length) out.push(`### ${TITLES[c]} (${rows(c).length})`, "", ...lines, "");
  };
  section(
    "evaluation-error",
    rows("evaluation-error").map((a) => `- **${a.key}** (\`${a.evaluationError?.dir}\`): \`${a.evaluationError?.code}\` ${firstLine(a.evaluationError?.message ?? "")}`),
  );
  const failLines: string[] = [];
  for (const a of rows("newly-failing")) {
    failLines.push(`- **${a.key}** ${a.head?.version ?? ""}${reasonText(a)}: \`${a.failure?.code}\``);
    const g = r.failures.find((f) => f.root === a.key);
    if (g?.dependents.length) failLines.push(`  - makes fail: ${g.dependents.map((d) => `**${d}**`).join(", ")}`);
    if (g && g.tail !== null) failLines.push(...logBlock(r.logTails[g.tail] as string, g.log));
  }
  section("newly-failing", failLines);
  section(
    "dep-failed",
    rows("dep-failed").map((a) => `- **${a.key}** ← ${a.failure?.root} (${a.failure?.package})`),
  );
  if (level < 2) {
    const flagged = r.atoms.filter((a) => a.size?.flagged);
    if (flagged.length) {
      out.push(`### Size flags (${flagged.length})`, "", "| atom | size | closure |", "|---|---:|---:|");
      for (const a of flagged) out.push(`| ${a.key} | ${sizeCell(a.size?.nar)} | ${sizeCell(a.size?.closure)} |`);
      out.push("");
    }
  }
  section("newly-succeeding", rows("newly-succeeding").map((a) => `- **${a.key}** ${a.head?.version ?? ""}${reasonText(a)}`));
  const stillLines: string[] = [];
  for (const a of rows("still-failing")) {
    stillLines.push(`- **${a.key}**${reasonText(a)}: ${a.failure?.root === a.key ? `\`${a.failure?.code}\`` : `← ${a.failure?.root}`}`);
    const g = r.failures.find((f) => f.root === a.key);
    if (g && g.tail !== null) stillLines.push(...logBlock(r.logTails[g.tail] as string, g.log));
  }
  section("still-failing", stillLines);
  section("added", rows("added").map((a) => `- **${a.key}** ${a.head?.version ?? ""} (\`${a.head?.dir}\`)`));
  section("removed", rows("removed").map((a) => `- **${a.key}** ${a.base?.version ?? ""} (\`${a.base?.dir}\`)`));
  if (level === 0) section("still-succeeding", rows("still-succeeding").flatMap(succeedingLines));
  else if (rows("still-succeeding").length) out.push(`### ${TITLES["still-succeeding"]} (${rows("still-succeeding").length})`, "", "_Rows left out to fit a comment; see review.json._", "");
  section("not-built", rows("not-built").map((a) => `- **${a.key}**${a.change === "added" ? " (added)" : reasonText(a)}: ${a.notBuilt ?? "not built"}`));
  const moved = r.atoms.filter((a) => a.moved);
  if (moved.length) out.push(`### Moved (${moved.length})`, "", ...moved.map((a) => `- **${a.key}**: \`${a.moved?.from}\` → \`${a.moved?.to}\``), "");
  return out.join("\n");
}

function succeedingLines(a: AtomRow): string[] {
  const bits = [a.identicalOutput ? "rebuilt with identical output" : a.head?.status === "built" ? "rebuilt" : "from the store"];
  if (a.base?.status === "unknown") bits.push("base not in the store");
  if (a.blastRadius) bits.push(`blast radius ${a.blastRadius}`);
  if (a.size && a.size.nar.delta !== 0) bits.push(`size ${signed(a.size.nar.delta)}`);
  const lines = [`- **${a.key}** ${a.head?.version ?? ""}${reasonText(a)} (${bits.join(", ")})`];
  for (const d of a.deps) lines.push(`  - [${d.change}] ${d.name}${d.change === "U" ? ` ${d.from}→${d.to}` : ""}${d.addedSize ? ` (+${bytes(d.addedSize)})` : ""}`);
  const files = a.files.slice(0, 20);
  for (const f of files) lines.push(`  - \`${f.path}\` ${f.change}${f.base !== null && f.head !== null ? ` (${signed(f.head - f.base)})` : ""}`);
  if (a.files.length > files.length) lines.push(`  - … ${a.files.length - files.length} more files`);
  for (const f of files.filter((f) => f.diff)) lines.push("", "```diff", (f.diff as string).trimEnd(), "```");
  return lines;
}

function reasonText(a: AtomRow): string {
  const r = a.reasons[0];
  return r ? `: ${r.kind === "version" ? `${a.id} ${describe(r)}` : describe(r)}` : "";
}

function logBlock(tail: string, file: string | null): string[] {
  const fence = tail.includes("```") ? "~~~~" : "```";
  return ["", `  <details><summary>last lines of the log${file ? ` (logs/${file})` : ""}</summary>`, "", fence, tail, fence, "", "  </details>", ""];
}

function sizeCell(s: { base: number; head: number; delta: number } | undefined): string {
  return s ? `${bytes(s.base)} → ${bytes(s.head)} (${signed(s.delta)})` : "";
}

function signed(n: number): string {
  return `${n >= 0 ? "+" : "−"}${bytes(Math.abs(n))}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) (v /= 1024), i++;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${u[i]}`;
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? "";
}
