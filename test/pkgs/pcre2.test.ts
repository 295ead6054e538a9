// PCRE2 under eka's WASI host: pcre2grep finds matches with Unicode (scripts, UCP word
// characters, caseless Greek, invalid UTF-8 reported) and upstream's own pcre2test suites (read
// from the pinned tarball) produce exactly upstream's expected output.
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mirror, scratch , LIBCS, withLibc } from "./helpers.ts";

const TARBALL = "c33b418e3b936ee3153de2c61cc638e7e4fe3156022a5c77d0711bcbb9d64f1f";
const TEXT = "Grüße aus Köln\nplain ascii line\nΑθήνα και Σπάρτη\n日本語のテキスト\nstraße STRASSE\n";

describe.each(LIBCS)("pkgs/pcre2 (libc %s)", (libc) => {
  const { build: buildPkg, run: runPkg } = withLibc(libc);
  // await: buildPkg may become asynchronous (a long synchronous build starves vitest\'s RPC).
  beforeAll(async () => {
    await buildPkg("pcre2");
  }, 900_000);

  it("reports its build: UTF and UCP, no JIT", () => {
    const r = runPkg("pcre2", "pcre2test", ["-C"]);
    expect(r.stdout).toContain("UTF and UCP support (Unicode version 14.0.0)");
    expect(r.stdout).toContain("No just-in-time compiler support");
    expect(runPkg("pcre2", "pcre2grep", ["-V"]).stdout).toBe("pcre2grep version 10.42 2022-12-11\n");
  });

  it("greps with Unicode properties, UCP word characters and caseless non-ASCII", () => {
    const dir = scratch("pcre2");
    writeFileSync(join(dir, "u.txt"), TEXT);
    const grep = (...args: string[]) => runPkg("pcre2", "pcre2grep", args, { cwd: dir });
    const greek = grep("-u", "-n", "\\p{Greek}+", "u.txt");
    expect(greek.status).toBe(0);
    expect(greek.stdout).toBe("3:Αθήνα και Σπάρτη\n");
    expect(grep("-u", "-o", "\\p{Han}+", "u.txt").stdout).toBe("日本語\n");
    expect(grep("-u", "-o", "(*UCP)\\b\\w{5}\\b", "u.txt").stdout).toBe("Grüße\nplain\nascii\nΑθήνα\n");
    expect(grep("-u", "-i", "-c", "KÖLN|ΣΠΆΡΤΗ", "u.txt").stdout).toBe("2\n");
    const none = grep("-u", "nowhere", "u.txt");
    expect([none.status, none.stdout]).toEqual([1, ""]);
  });

  it("reports a bad pattern and invalid UTF-8 input", () => {
    const dir = scratch("pcre2");
    writeFileSync(join(dir, "bad.txt"), Buffer.from("bad \xff byte\n", "latin1"));
    const pattern = runPkg("pcre2", "pcre2grep", ["(", "bad.txt"], { cwd: dir });
    expect(pattern.status).toBe(2);
    expect(pattern.stderr).toContain("Error in command-line regex at offset 1: missing closing parenthesis");
    const utf = runPkg("pcre2", "pcre2grep", ["-u", "x", "bad.txt"], { cwd: dir });
    expect(utf.stderr).toContain("UTF-8 error: illegal byte (0xfe or 0xff) at offset 4");
  });

  it("passes upstream's pcre2test suites 1, 2, 4, 5, 8 and 10 byte for byte", () => {
    const dir = scratch("pcre2");
    execFileSync("tar", ["xzf", join(mirror(), "sha256", TARBALL), "-C", dir, "--strip-components=1", "pcre2-10.42/testdata"]);
    // As RunTest does: test 2 loads saved tables from the current directory.
    copyFileSync(join(dir, "testdata/testbtables"), join(dir, "testbtables"));
    const expected: Record<string, string> = { 1: "testoutput1", 2: "testoutput2", 4: "testoutput4", 5: "testoutput5", 8: "testoutput8-8-2", 10: "testoutput10" };
    for (const [n, out] of Object.entries(expected)) {
      const r = runPkg("pcre2", "pcre2test", ["-q", `testdata/testinput${n}`, `try${n}`], { cwd: dir });
      expect(r.stderr, `test ${n}`).toBe("");
      let got = readFileSync(join(dir, `try${n}`), "latin1");
      // RunTest appends test 2's error-message listing from a second run.
      if (n === "2") got += runPkg("pcre2", "pcre2test", ["-q", "-error", "-70,-62,-2,-1,0,100,101,191,200"], { cwd: dir }).stdout;
      expect(got === readFileSync(join(dir, "testdata", out), "latin1"), `test ${n} matches testdata/${out}`).toBe(true);
    }
  });
});
