// The `eka:` line of an eka-run script: ATOM[@RANGE] [PROGRAM] after a comment marker.
import { describe, expect, it } from "vitest";
import { parseShebang } from "../../src/cli/commands/eka-run.ts";

const script = (line2: string) => `#!/usr/bin/env eka-run\n${line2}\nbody\n`;

describe("eka-run's interpreter line", () => {
  it("reads a path with a range, in any comment style", () => {
    expect(parseShebang(script("#! eka: ./lua@^1"), "s")).toEqual({ atom: "./lua", range: "^1" });
    expect(parseShebang(script("// eka: ../interp"), "s")).toEqual({ atom: "../interp" });
    expect(parseShebang(script("-- eka: ./lua@~5.4.0 luac"), "s")).toEqual({ atom: "./lua", range: "~5.4.0", program: "luac" });
  });

  it("keeps an '@' that belongs to a URI, and splits the range off the last one", () => {
    expect(parseShebang(script("# eka: ssh://git@example.org/lua.git@^1.2"), "s")).toEqual({ atom: "ssh://git@example.org/lua.git", range: "^1.2" });
    expect(parseShebang(script("# eka: ssh://git@example.org/lua.git"), "s")).toEqual({ atom: "ssh://git@example.org/lua.git" });
  });

  it("says what it expected, with the line number", () => {
    expect(() => parseShebang(script("print('no atom line')"), "hello.lua")).toThrow(/hello\.lua:2: expected the interpreter atom, e\.g\. '#! eka: \.\/my-interp@\^1'/);
    expect(() => parseShebang("echo hi\n", "x.sh")).toThrow(/x\.sh:1: not a script/);
  });
});
