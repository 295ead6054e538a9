// Expat under eka's WASI host, through xmlwf: a well-formed document (namespaces, UTF-8, an
// entity) passes and is rewritten in canonical form, and errors (a mismatched tag, an undefined
// entity, bytes that are not UTF-8, a truncated document) are reported at their line and column.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scratch , LIBCS, withLibc } from "./helpers.ts";

const DOC = '<?xml version="1.0" encoding="UTF-8"?>\n<doc xmlns:a="urn:a">\n  <a:p id="1">café &amp; tea</a:p>\n  <q/>\n</doc>\n';

describe.each(LIBCS)("pkgs/expat (libc %s)", (libc) => {
  const { build: buildPkg, run: runPkg } = withLibc(libc);
  // await: buildPkg may become asynchronous (a long synchronous build starves vitest\'s RPC).
  beforeAll(async () => {
    await buildPkg("expat");
  }, 900_000);

  it("reports its version and features", () => {
    const r = runPkg("expat", "xmlwf", ["-v"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^xmlwf using expat_2\.5\.0\n.*XML_DTD, XML_CONTEXT_BYTES=1024, XML_NS/);
  });

  it("accepts a well-formed document and writes its canonical form", () => {
    const dir = scratch("expat");
    writeFileSync(join(dir, "doc.xml"), DOC);
    mkdirSync(join(dir, "out"));
    const r = runPkg("expat", "xmlwf", ["doc.xml"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe("");
    const canon = runPkg("expat", "xmlwf", ["-d", "out", "doc.xml"], { cwd: dir });
    expect(canon.status).toBe(0);
    expect(readFileSync(join(dir, "out/doc.xml"), "utf8")).toBe(
      '<doc xmlns:a="urn:a">&#10;  <a:p id="1">café &amp; tea</a:p>&#10;  <q></q>&#10;</doc>',
    );
    const ns = runPkg("expat", "xmlwf", ["-n", "-d", "out", "doc.xml"], { cwd: dir });
    expect(ns.status).toBe(0);
    expect(readFileSync(join(dir, "out/doc.xml"), "utf8")).toContain('<n1:p xmlns:n1="urn:a" id="1">');
  });

  // Columns are 0-based, as XML_GetCurrentColumnNumber (and Python's pyexpat) count them.
  it("reports errors at their line and column", () => {
    const dir = scratch("expat");
    writeFileSync(join(dir, "tag.xml"), "<doc>\n  <p>one</p>\n  <p>two</q>\n</doc>\n");
    writeFileSync(join(dir, "ent.xml"), "<doc>\n\n  <p>&nosuch;</p>\n</doc>\n");
    writeFileSync(join(dir, "enc.xml"), Buffer.from("<doc>\n<p>ok</p>\n<p>\xff</p></doc>\n", "latin1"));
    const tag = runPkg("expat", "xmlwf", ["tag.xml"], { cwd: dir });
    expect(tag.status).toBe(2);
    expect(tag.stdout).toBe("tag.xml:3:10: mismatched tag\n");
    const ent = runPkg("expat", "xmlwf", ["ent.xml"], { cwd: dir });
    expect(ent.stdout).toBe("ent.xml:3:5: undefined entity\n");
    const enc = runPkg("expat", "xmlwf", ["enc.xml"], { cwd: dir });
    expect(enc.stdout).toBe("enc.xml:3:3: not well-formed (invalid token)\n");
    const cut = runPkg("expat", "xmlwf", [], { input: "<a>\n<b>" });
    expect(cut.status).toBe(2);
    expect(cut.stdout).toBe("STDIN:2:3: no element found\n");
  });
});
