// cJSON under eka's WASI host: upstream's demo runs, cjson-fmt parses and prints a document with
// Unicode escapes, extracts a value by JSON pointer (cJSON_Utils), and names the line and column
// of a syntax error.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scratch , LIBCS, withLibc } from "./helpers.ts";

describe.each(LIBCS)("pkgs/cjson (libc %s)", (libc) => {
  const { build: buildPkg, run: runPkg } = withLibc(libc);
  // await: buildPkg may become asynchronous (a long synchronous build starves vitest\'s RPC).
  beforeAll(async () => {
    await buildPkg("cjson");
  }, 900_000);

  it("runs upstream's test.c demo", () => {
    const r = runPkg("cjson", "cjson-test", []);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Version: 1.7.15");
    expect(r.stdout).toContain('"name":\t"Jack (\\"Bee\\") Nimble"');
    expect(r.stdout).toContain('["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]');
  });

  it("parses, prints and minifies a document, decoding \\u escapes to UTF-8", () => {
    const doc = '{ "name": "caf\\u00e9", "list": [1, 2.5, -3e2, true, null],\n  "nested": { "k": "v" } }';
    const pretty = runPkg("cjson", "cjson-fmt", [], { input: doc });
    expect(pretty.status).toBe(0);
    expect(pretty.stdout).toBe('{\n\t"name":\t"café",\n\t"list":\t[1, 2.5, -300, true, null],\n\t"nested":\t{\n\t\t"k":\t"v"\n\t}\n}\n');
    const mini = runPkg("cjson", "cjson-fmt", ["-m"], { input: pretty.stdout });
    expect(mini.stdout).toBe('{"name":"café","list":[1,2.5,-300,true,null],"nested":{"k":"v"}}\n');
  });

  it("reads a file and picks a value by JSON pointer", () => {
    const dir = scratch("cjson");
    writeFileSync(join(dir, "doc.json"), '{"a": {"b": ["x", {"c": 42}]}}');
    const r = runPkg("cjson", "cjson-fmt", ["-p", "/a/b/1/c", "doc.json"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("42\n");
  });

  it("reports a syntax error at its line and column", () => {
    const dir = scratch("cjson");
    writeFileSync(join(dir, "bad.json"), '{\n  "ok": [1, 2],\n  "bad": nul\n}\n');
    const r = runPkg("cjson", "cjson-fmt", ["bad.json"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("bad.json:3:10: parse error at byte 27");
    const trailing = runPkg("cjson", "cjson-fmt", [], { input: '{"a":1} x' });
    expect(trailing.status).toBe(1);
    expect(trailing.stderr).toContain("<stdin>:1:9: parse error");
  });
});
