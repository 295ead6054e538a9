// The error codes: every code src/ throws or constructs is in the ErrorCode union and in
// docs/errors.md, and neither lists a code nothing uses. Failures name the code and where.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/errors.ts";

const ROOT = join(import.meta.dirname, "..");
const UNION_FILE = "src/errors.ts";
const DOCS_FILE = "docs/errors.md";

/** code → the places (file:line) in src/ that name it as a string literal, outside the union. */
function usedCodes(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && relative(ROOT, p) !== UNION_FILE) {
        readFileSync(p, "utf8")
          .split("\n")
          .forEach((line, i) => {
            for (const m of line.matchAll(/"(E_[A-Z0-9_]+)"/g)) {
              const code = m[1] as string;
              used.set(code, [...(used.get(code) ?? []), `${relative(ROOT, p)}:${i + 1}`]);
            }
          });
      }
    }
  };
  walk(join(ROOT, "src"));
  return used;
}

/** The codes docs/errors.md lists: the first cell of its table rows. */
function documentedCodes(): string[] {
  const text = readFileSync(join(ROOT, DOCS_FILE), "utf8");
  return [...text.matchAll(/^\| `(E_[A-Z0-9_]+)` \|/gm)].map((m) => m[1] as string);
}

const used = usedCodes();
const union: readonly string[] = ERROR_CODES;
const documented = documentedCodes();
const where = (code: string) => (used.get(code) ?? []).slice(0, 3).join(", ");
const duplicates = (list: readonly string[]) => list.filter((c, i) => list.indexOf(c) !== i);

describe("error codes", () => {
  it("src/ uses codes (the scan works)", () => {
    expect(used.size).toBeGreaterThan(50);
    expect(used.has("E_NO_ATOM")).toBe(true);
  });

  it("every code used in src/ is in ERROR_CODES", () => {
    const missing = [...used.keys()].filter((c) => !union.includes(c)).map((c) => `${c} (used at ${where(c)}) is missing from ERROR_CODES in ${UNION_FILE}`);
    expect(missing).toEqual([]);
  });

  it("every code used in src/ is documented", () => {
    const missing = [...used.keys()].filter((c) => !documented.includes(c)).map((c) => `${c} (used at ${where(c)}) is missing from ${DOCS_FILE}; add a row with its meaning and usual fix`);
    expect(missing).toEqual([]);
  });

  it("ERROR_CODES and the docs list no code that nothing uses, and none twice", () => {
    const stale = [
      ...union.filter((c) => !used.has(c)).map((c) => `${UNION_FILE} lists ${c}, which nothing in src/ uses; remove it`),
      ...documented.filter((c) => !used.has(c)).map((c) => `${DOCS_FILE} lists ${c}, which nothing in src/ uses; remove it`),
      ...duplicates(union).map((c) => `${UNION_FILE} lists ${c} twice`),
      ...duplicates(documented).map((c) => `${DOCS_FILE} lists ${c} twice`),
    ];
    expect(stale).toEqual([]);
  });
});
