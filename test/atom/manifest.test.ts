// atom.toml: every table parses into what the build sees, and every kind of mistake is reported
// with its file, line and column, what was expected and a fix.
import { describe, expect, it } from "vitest";
import { EkaError } from "../../src/errors.ts";
import { parseManifest, pinArg } from "../../src/atom/manifest.ts";
import { lookup, pathKey, scanPositions } from "../../src/atom/positions.ts";

const FULL = `# every table
dist = ["tar", "nar"]

[atom]
id = "demo"
version = "2.5.1"
type = "package"

[srcs.tarball]
url = "https://example.org/demo-\${version}/v\${major}.\${minor}/\${atom.id}.tar.gz"
version = "1.4.7"

[srcs.repo]
url = "file:///srv/demo.git"
ref = "v\${atom.version}"

[srcs.local]
path = "src"

[deps.greet]
path = "../greet-lib"
version = "^0.2"

[deps.remote]
url = "file:///srv/remote.git"
version = "~1.2"

[pins.nixpkgs]
url = "https://example.org/nixpkgs-\${version}.tar.gz"
version = "24.05"
entry = "default.nix"
args = { system = "\${platform.host}", builder = "\${platform.build}", debug = true }

[platform]
build = "wasm32-wasip1"
host = ["wasm32-wasip1", "wasm32-wasip2"]

[provide]
cc = ["clang", "zig-cc"]
libc = ["wasi-libc"]

[build]
kind = "c"
src = "local"
cflags = ["-O2"]
defines = { VERSION = "\\"\${atom.version}\\"" }

[build.lib.demo]
sources = ["demo.c"]
headers = ["demo.h"]

[build.bin.demo-cli]
sources = ["main.c"]
link = ["demo", "from.greet"]
`;

/** Parses `text` expecting an EkaError; returns its code and position. */
function failure(text: string): { code: string; line: number; column: number; message: string } {
  try {
    parseManifest(text, "atom.toml");
  } catch (e) {
    if (!(e instanceof EkaError)) throw e;
    const d = e.details as { line: number; column: number };
    return { code: e.code, line: d.line, column: d.column, message: e.message };
  }
  throw new Error("expected the manifest to be rejected");
}

describe("atom.toml tables", () => {
  const m = parseManifest(FULL, "atom.toml");

  it("reads [atom]", () => {
    expect(m.atom).toEqual({ id: "demo", version: "2.5.1", type: "package" });
  });

  it("interpolates source urls with the source's own version, its parts and any manifest value", () => {
    expect(m.srcs.tarball).toEqual({ kind: "url", url: "https://example.org/demo-1.4.7/v1.4/demo.tar.gz", version: "1.4.7" });
    expect(m.srcs.repo).toEqual({ kind: "git", url: "file:///srv/demo.git", ref: "v2.5.1" });
    expect(m.srcs.local).toEqual({ kind: "path", path: "src" });
  });

  it("reads [deps] by path and by git url + range", () => {
    expect(m.deps.greet).toEqual({ kind: "path", path: "../greet-lib", version: "^0.2" });
    expect(m.deps.remote).toEqual({ kind: "git", url: "file:///srv/remote.git", version: "~1.2" });
  });

  it("reads [pins] with entry and args, filling platform references per host", () => {
    expect(m.pins.nixpkgs?.entry).toBe("default.nix");
    expect(m.pins.nixpkgs?.url).toBe("https://example.org/nixpkgs-24.05.tar.gz");
    expect(pinArg(m, ["pins", "nixpkgs", "args", "system"], String(m.pins.nixpkgs?.args.system), { build: "wasm32-wasip1", host: "wasm32-wasip2" })).toBe("wasm32-wasip2");
    expect(m.pins.nixpkgs?.args.debug).toBe(true);
  });

  it("reads [platform] (host as a list or one value), [provide] and dist", () => {
    expect(m.platform).toEqual({ build: "wasm32-wasip1", hosts: ["wasm32-wasip1", "wasm32-wasip2"] });
    expect(parseManifest(`[atom]\nid = "a"\nversion = "1.0.0"\n[platform]\nhost = "wasm32-wasip1"\n`).platform.hosts).toEqual(["wasm32-wasip1"]);
    expect(m.provide).toEqual({ cc: ["clang", "zig-cc"], libc: ["wasi-libc"] });
    expect(m.dist).toEqual(["tar", "nar"]);
  });

  it("reads [build] for the C builder", () => {
    expect(m.build?.src).toBe("local");
    expect(m.build?.lib.demo).toEqual({ sources: ["demo.c"], headers: ["demo.h"], cflags: [], defines: {}, objs: [], installedHeaders: false });
    expect(m.build?.bin["demo-cli"]?.link).toEqual(["demo", "from.greet"]);
  });

  it("parses atoms of other types (they are reported as not buildable when built)", () => {
    expect(parseManifest(`[atom]\nid = "set"\nversion = "1.0.0"\ntype = "config"\n`).atom.type).toBe("config");
  });

  it("lets $${ write a literal ${", () => {
    const t = parseManifest(`[atom]\nid = "a"\nversion = "1.0.0"\n[srcs.x]\nurl = "https://h/$\${x}/\${version}"\n`);
    expect(t.srcs.x?.url).toBe("https://h/${x}/1.0.0");
  });
});

describe("atom.toml errors name file, line and column", () => {
  const head = `[atom]\nid = "a"\nversion = "1.0.0"\n`;

  it("syntax", () => {
    const f = failure(`[atom]\nid = "a"\nversion = \n`);
    expect(f).toMatchObject({ code: "E_MANIFEST_SYNTAX", line: 3 });
    expect(f.message).toMatch(/^atom\.toml:3:\d+: not valid TOML/);
  });

  it("unknown key, with did-you-mean", () => {
    const f = failure(`[atom]\nid = "a"\n  verison = "1.0.0"\n`);
    expect(f).toMatchObject({ code: "E_MANIFEST_KEY", line: 3, column: 3 });
    expect(f.message).toMatch(/unknown key 'verison' in \[atom\] \(did you mean 'version'\?\)/);
  });

  it("unknown key inside an inline table", () => {
    const f = failure(`${head}[pins.p]\nurl = "https://x/y.tar"\nargs = { a = 1 }\nentyr = "x"\n`);
    expect(f).toMatchObject({ code: "E_MANIFEST_KEY", line: 7, column: 1 });
    expect(f.message).toMatch(/did you mean 'entry'/);
    const g = failure(`${head}[build]\nkind = "c"\nbin = { x = { sources = ["a.c"], lnk = ["m"] } }\n[srcs.s]\npath = "."\n`);
    expect(g).toMatchObject({ code: "E_MANIFEST_KEY", line: 6, column: 34 });
  });

  it("unknown key after multi-line arrays and strings, in quoted and dotted keys", () => {
    const text = `${head}[srcs.s]\npath = "."\n[build]\nkind = "c"\ncflags = [\n  "-O2", # ] not the end\n  "-g",\n]\n"bin".x.sources = ["m.c"]\n[build.bin.y]\nsources = ["""\nm.c"""]\n  lnik = ["z"]\n`;
    const f = failure(text);
    expect(f).toMatchObject({ code: "E_MANIFEST_KEY", line: 16, column: 3 });
    expect(f.message).toMatch(/unknown key 'lnik' in \[build\.bin\.y\] \(did you mean 'link'\?\)/);
    // A quoted key with a dot is one key.
    const q = failure(text.replace('"bin".x.sources', '  "bin.x".sources'));
    expect(q).toMatchObject({ code: "E_MANIFEST_KEY", line: 12, column: 3 });
    expect(q.message).toMatch(/unknown key .bin\.x. in \[build\]/);
  });

  it("unknown top-level table", () => {
    expect(failure(`${head}\n[dpes.x]\npath = "."\n`)).toMatchObject({ code: "E_MANIFEST_KEY", line: 5, column: 1 });
  });

  it("wrong type", () => {
    const f = failure(`${head}[platform]\nhost = 42\n`);
    expect(f).toMatchObject({ code: "E_MANIFEST_TYPE", line: 5, column: 8 });
    expect(f.message).toMatch(/expected a platform triple or a list/);
    expect(failure(`${head}[provide]\ncc = ["clang", 3]\n`)).toMatchObject({ code: "E_MANIFEST_TYPE", line: 5, column: 6 });
  });

  it("missing key", () => {
    expect(failure(`[atom]\nid = "a"\n`)).toMatchObject({ code: "E_MANIFEST_MISSING", line: 1, column: 1 });
    expect(failure(`${head}[deps.x]\nversion = "^1"\n`)).toMatchObject({ code: "E_MANIFEST_MISSING", line: 4, column: 1 });
  });

  it("bad semver version and bad range", () => {
    const f = failure(`[atom]\nid = "a"\nversion = "1.0"\n`);
    expect(f).toMatchObject({ code: "E_MANIFEST_SEMVER", line: 3, column: 11 });
    expect(f.message).toMatch(/'1\.0' is not a semver version/);
    expect(failure(`${head}[deps.x]\nurl = "file:///r"\nversion = "^^1"\n`)).toMatchObject({ code: "E_MANIFEST_SEMVER", line: 6, column: 11 });
  });

  it("an unterminated ${ points at its $, wherever it sits; $${ without a } stays literal", () => {
    expect(failure(`${head}[srcs.x]\nurl = "https://h/\${version/x.tar"\n`)).toMatchObject({ code: "E_MANIFEST_INTERPOLATION", line: 5, column: 18 });
    expect(failure(`${head}[srcs.x]\nurl = "https://h/\${version}/\${major"\n`)).toMatchObject({ code: "E_MANIFEST_INTERPOLATION", line: 5, column: 29 });
    expect(failure(`${head}[pins.p]\nurl = "https://x/y.tar"\nargs = { system = "\${platform.host" }\n`)).toMatchObject({ code: "E_MANIFEST_INTERPOLATION", line: 6 });
    expect(parseManifest(`${head}[srcs.x]\nurl = "https://h/$\${x"\n`).srcs.x?.url).toBe("https://h/$${x");
  });

  it("records each array element's position, across lines and comments", () => {
    const text = `${head}[build]\nsources = ["a.c", "b.c"]\nlist = [\n  "x", # a comment, with ] and "quotes"\n\n  ["nested", 1],\n  """long\nstring""", "y",\n]\n`;
    const positions = scanPositions(text);
    const at = (...p: string[]) => lookup(positions, ["build", ...p], "value");
    expect(at("sources", "0")).toEqual({ line: 5, column: 12 });
    expect(at("sources", "1")).toEqual({ line: 5, column: 19 });
    expect(at("list", "0")).toEqual({ line: 7, column: 3 });
    expect(at("list", "1")).toEqual({ line: 9, column: 3 });
    expect(at("list", "2")).toEqual({ line: 10, column: 3 });
    expect(at("list", "3")).toEqual({ line: 11, column: 12 });
    expect(positions.has(pathKey(["build", "list", "4"]))).toBe(false);
  });

  it("unresolvable interpolation points at the ${", () => {
    const f = failure(`${head}[srcs.x]\nurl = "https://h/\${atom.nope}.tar"\n`);
    expect(f).toMatchObject({ code: "E_MANIFEST_INTERPOLATION", line: 5, column: 18 });
    expect(f.message).toMatch(/cannot resolve '\$\{atom\.nope\}'.*available here/);
    // Platform references belong to pin args (and [build]), not to source urls.
    expect(failure(`${head}[srcs.x]\nurl = "https://h/\${platform.host}"\n`)).toMatchObject({ code: "E_MANIFEST_INTERPOLATION", line: 5 });
    expect(failure(`${head}[pins.p]\nurl = "https://h/p.tar"\nargs = { s = "\${platform.hots}" }\n`)).toMatchObject({ code: "E_MANIFEST_INTERPOLATION", line: 6, column: 15 });
  });
});
