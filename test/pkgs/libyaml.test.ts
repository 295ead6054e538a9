// libyaml under eka's WASI host, through upstream's test drivers: a document parses into the
// yaml-test-suite event stream (anchors, aliases, flow collections, UTF-8), the events emit back
// to YAML that parses to the same events, and a syntax error is reported at its line and column.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scratch , LIBCS, withLibc } from "./helpers.ts";

const DOC = 'name: café\nlist:\n  - 1\n  - &a two\n  - *a\nmap: {k: v, "q": [x, y]}\n';
const EVENTS = [
  "+STR", "+DOC", "+MAP", "=VAL :name", "=VAL :café", "=VAL :list", "+SEQ", "=VAL :1",
  "=VAL &a :two", "=ALI *a", "-SEQ", "=VAL :map", "+MAP", "=VAL :k", "=VAL :v", '=VAL "q',
  "+SEQ", "=VAL :x", "=VAL :y", "-SEQ", "-MAP", "-MAP", "-DOC", "-STR",
].join("\n") + "\n";

describe.each(LIBCS)("pkgs/libyaml (libc %s)", (libc) => {
  const { build: buildPkg, run: runPkg } = withLibc(libc);
  // await: buildPkg may become asynchronous (a long synchronous build starves vitest\'s RPC).
  beforeAll(async () => {
    await buildPkg("libyaml");
  }, 900_000);

  it("parses a document into its event stream, and emits the events back as YAML", () => {
    const dir = scratch("libyaml");
    writeFileSync(join(dir, "doc.yaml"), DOC);
    const parsed = runPkg("libyaml", "run-parser-test-suite", ["doc.yaml"], { cwd: dir });
    expect(parsed.status).toBe(0);
    expect(parsed.stdout).toBe(EVENTS);
    const emitted = runPkg("libyaml", "run-emitter-test-suite", [], { input: parsed.stdout });
    expect(emitted.status).toBe(0);
    expect(emitted.stdout).toContain("- &a two\n- *a\n");
    const again = runPkg("libyaml", "run-parser-test-suite", [], { input: emitted.stdout });
    // The emitter writes non-ASCII scalars double-quoted with \x escapes (unicode output is off).
    expect(emitted.stdout).toContain('name: "caf\\xE9"\n');
    expect(again.stdout).toBe(EVENTS.replace("=VAL :café", '=VAL "café'));
  });

  it("counts events and loads documents", () => {
    const dir = scratch("libyaml");
    writeFileSync(join(dir, "doc.yaml"), DOC);
    writeFileSync(join(dir, "two.yaml"), "--- a\n--- [b, c]\n");
    const events = runPkg("libyaml", "run-parser", ["doc.yaml"], { cwd: dir });
    expect(events.stdout).toBe("[1] Parsing 'doc.yaml': SUCCESS (24 events)\n");
    const docs = runPkg("libyaml", "run-loader", ["two.yaml"], { cwd: dir });
    expect(docs.stdout).toBe("[1] Loading 'two.yaml': SUCCESS (2 documents)\n");
  });

  it("reports a syntax error at its line and column", () => {
    const dir = scratch("libyaml");
    writeFileSync(join(dir, "bad.yaml"), "a: 1\nb:\n  - x\n  - y\n c: [1, 2\n");
    const r = runPkg("libyaml", "run-parser-test-suite", ["bad.yaml"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Parse error: did not find expected key\nLine: 5 Column: 2");
    const counted = runPkg("libyaml", "run-parser", ["bad.yaml"], { cwd: dir });
    expect(counted.stdout).toBe("[1] Parsing 'bad.yaml': FAILURE (10 events)\n");
    const unclosed = runPkg("libyaml", "run-parser-test-suite", [], { input: 'a: "x\n\tb\n' });
    expect(unclosed.status).toBe(1);
    expect(unclosed.stderr).toContain("Line: 3 Column: 1");
  });
});
