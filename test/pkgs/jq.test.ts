// jq under eka: real filters over real JSON (this repository's package-lock.json and a package.json
// from node_modules), compared with what the same question gives in JavaScript; regular
// expressions through Oniguruma; and jq's own error messages and exit codes.
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PKGS, ROOT, buildPkg, mirror, runPkg, scratch } from "./helpers.ts";

const TARBALL = "3ba940b97571c866923f0409678033d33b5a98758dfc174fad8397ed908bc4d9";

interface Lock {
  packages: Record<string, { version?: string; license?: string; dev?: boolean }>;
}

/** jq's default output of a JSON value: two-space indent, as JSON.stringify gives for these. */
const pretty = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

describe("jq", () => {
  let dir: string;
  beforeAll(async () => {
    await buildPkg("jq");
    dir = scratch("jq");
    copyFileSync(join(ROOT, "package-lock.json"), join(dir, "package-lock.json"));
    copyFileSync(join(ROOT, "node_modules/vitest/package.json"), join(dir, "package.json"));
  }, 900_000);

  const jq = (args: string[], input?: string) => runPkg("jq", "jq", args, { cwd: dir, ...(input !== undefined ? { input } : {}) });

  it("checks in builtin.inc as exactly Makefile.am's sed over the tarball's builtin.jq", () => {
    const jqSrc = execFileSync("tar", ["-xzOf", join(mirror(), "sha256", TARBALL), "jq-jq-1.6/src/builtin.jq"], { encoding: "utf8" });
    const viaSed = execFileSync("sed", ["-e", "s/\\\\/\\\\\\\\/g", "-e", 's/"/\\\\"/g', "-e", 's/^/"/', "-e", 's/$/\\\\n"/'], { input: jqSrc, encoding: "utf8" });
    expect(readFileSync(join(PKGS, "jq/port/src/builtin.inc"), "utf8")).toBe(viaSed);
  });

  it("prints its version", () => {
    const r = jq(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("jq-1.6\n");
  });

  it("answers questions about package-lock.json as JavaScript does", () => {
    const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8")) as Lock;
    const entries = Object.entries(lock.packages).filter(([k]) => k !== "");
    const mit = jq(["[.packages | to_entries[] | select(.key != \"\" and .value.license == \"MIT\")] | length", "package-lock.json"]);
    expect(mit.status).toBe(0);
    expect(mit.stdout).toBe(`${entries.filter(([, v]) => v.license === "MIT").length}\n`);
    const byLicense = jq(["-c", "[.packages | to_entries[] | select(.key != \"\") | .value.license // \"none\"] | group_by(.) | map({(.[0]): length}) | add", "package-lock.json"]);
    const counts: Record<string, number> = {};
    for (const [, v] of entries) counts[v.license ?? "none"] = (counts[v.license ?? "none"] ?? 0) + 1;
    expect(JSON.parse(byLicense.stdout)).toEqual(counts);
    const names = jq(["-r", ".packages | keys[] | select(startswith(\"node_modules/@vitest/\")) | ltrimstr(\"node_modules/\")", "package-lock.json"]);
    expect(names.stdout).toBe(
      Object.keys(lock.packages)
        .filter((k) => k.startsWith("node_modules/@vitest/"))
        .sort()
        .map((k) => `${k.slice("node_modules/".length)}\n`)
        .join(""),
    );
  });

  it("reshapes a package.json from node_modules", () => {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; version: string; dependencies: Record<string, string> };
    const r = jq(["{name, version, deps: (.dependencies | keys | sort), n: (.dependencies | length)}", "package.json"]);
    expect(r.status).toBe(0);
    const deps = Object.keys(pkg.dependencies).sort();
    expect(r.stdout).toBe(pretty({ name: pkg.name, version: pkg.version, deps, n: deps.length }));
  });

  it("matches regular expressions with Unicode through Oniguruma", () => {
    const r = jq(["-c", '[.[] | select(test("^\\\\p{Lu}"))], [.[] | sub("(?<v>[aeiouäö])"; "<\\(.v)>")], ("Grüße, Ελλάδα" | [match("\\\\p{Greek}+"; "g").string])'], '["Äpfel", "birne", "Ösen", "éclair", "Zebra"]');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('["Äpfel","Ösen","Zebra"]\n["Äpf<e>l","b<i>rne","Ös<e>n","écl<a>ir","Z<e>bra"]\n["Ελλάδα"]\n');
  });

  it("parses and formats dates and computes libm functions through wasi-libc", () => {
    const r = jq(["-nc", '["2015-03-05T23:51:47Z" | fromdate, (strptime("%Y-%m-%dT%H:%M:%SZ") | mktime)], (1425599507 | todate), (1425599507 | strftime("%A, %B %d, %Y")), ([2 | pow(.; 0.5), log2, exp10] | map(. * 1000 | floor)), (try (1 | gamma) catch .)']);
    expect(r.status).toBe(0);
    // gamma() is the one libm function wasi-libc lacks: jq defines it as an error, as upstream does.
    expect(r.stdout).toBe('[1425599507,1425599507]\n"2015-03-05T23:51:47Z"\n"Thursday, March 05, 2015"\n[1414,1000,100000]\n"Error: gamma/0 not found at build time"\n');
  });

  it("reports a JSON parse error with line and column, exit 4 (as Debian's jq 1.6 does)", () => {
    const r = jq([".a"], '{"a": 1,\n "b": [1, 2,}\n');
    expect(r.status).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("parse error: Unmatched '}' at line 2, column 13");
  });

  it("reports a syntax error in the filter, exit 3", () => {
    const r = jq(['{"a":1'], "{}");
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("jq: error: syntax error, unexpected $end");
    expect(r.stderr).toContain("jq: 1 compile error");
  });
});
