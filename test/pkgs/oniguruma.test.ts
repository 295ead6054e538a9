// Oniguruma under eka: upstream's own `make check` programs, each compiling and matching
// hundreds of patterns (UTF-8 text, Unicode properties and case folding, syntaxes, backward search).
import { beforeAll, describe, expect, it } from "vitest";
import { scratch , LIBCS, withLibc } from "./helpers.ts";

describe.each(LIBCS)("oniguruma (libc %s)", (libc) => {
  const { build: buildPkg, run: runPkg } = withLibc(libc);
  beforeAll(async () => {
    await buildPkg("oniguruma");
  }, 900_000);

  // The SUCC counts are the number of checks in each 6.9.8 program: all of them ran and passed.
  it.each([
    ["test_utf8", 1444],
    ["test_syntax", 128],
    ["test_back", 1225],
  ])("%s passes every check", (program, checks) => {
    const r = runPkg("oniguruma", program, [], { cwd: scratch(`onig-${program}`) });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/^FAIL/m);
    expect(r.stdout).toMatch(new RegExp(`^RESULT +SUCC: +${checks}, +FAIL: 0, +ERROR: 0 +\\(by Oniguruma 6\\.9\\.8\\)$`, "m"));
  });

  it("matches Unicode properties and folds case outside ASCII", () => {
    const r = runPkg("oniguruma", "test_utf8", [], { cwd: scratch("onig-unicode") });
    // A few of test_utf8's own lines, so a silently skipped Unicode table would show.
    for (const line of ["OK: /\\p{Hiragana}/ 'ぴ'", "OK: /\\p{Emoji}/ '⭐'", "OK: /(?i:ß)/ 'SS'", "OK: /(?i:ss)/ 'ẞ'"]) expect(r.stdout).toContain(line);
  });
});
