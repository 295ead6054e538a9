import { describe, expect, it } from "vitest";
import { isEkaError } from "../../src/errors.ts";
import { cbuildSteps } from "../../src/toolchains/cbuild/index.ts";

describe("cbuild", () => {
  const dep = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-zlib-1.3";
  const steps = cbuildSteps({
    cflags: ["-O1"],
    defines: { NDEBUG: true, VERSION: '"1"', OFF: false },
    includeDirs: ["include"],
    deps: [dep],
    libraries: [{ name: "greet", sources: ["a.c", "sub/b.c"], headers: ["include/greet.h"] }],
    executables: [{ name: "hello", sources: ["main.c"], link: ["greet", "z"] }],
  });
  const byId = new Map(steps.map((s) => [s.id, s]));

  it("makes one compile step per source file, keyed on that file and the headers only", () => {
    const cc = steps.filter((s) => s.id.startsWith("cc:"));
    expect(cc.map((s) => s.id)).toEqual(["cc:libgreet/a.c", "cc:libgreet/sub/b.c", "cc:hello/main.c"]);
    const a = byId.get("cc:libgreet/a.c")!;
    expect(a.args).toEqual(expect.arrayContaining(["clang", "--target=wasm32-wasip1", "-O1", "-DNDEBUG", '-DVERSION="1"', "-I/build/src/include", `-I${dep}/include`, "-c", "/build/src/a.c"]));
    expect(a.args.join(" ")).not.toContain("OFF");
    expect(a.inputs).toContain("/build/src/a.c");
    expect(a.inputs).not.toContain("/build/src/sub/b.c");
    expect(a.inputs).toContain("/build/src/**/*.h");
    expect(a.outputs).toEqual(["/build/obj/libgreet/a.o"]);
  });

  it("archives the library, installs its headers and links the executable against both libraries", () => {
    expect(byId.get("ar:libgreet")).toMatchObject({ args: ["llvm-ar", "rcsD", "$out/lib/libgreet.a", "/build/obj/libgreet/a.o", "/build/obj/libgreet/sub/b.o"], deps: ["cc:libgreet/a.c", "cc:libgreet/sub/b.c"] });
    expect(byId.get("install-headers:libgreet")).toMatchObject({ tool: "builtin:copy", outputs: ["$out/include/greet.h"] });
    const ld = byId.get("ld:hello")!;
    expect(ld.args).toEqual(expect.arrayContaining(["/build/obj/hello/main.o", "$out/lib/libgreet.a", `-L${dep}/lib`, "-lz", "-o", "$out/bin/hello.wasm"]));
    expect(ld.deps).toEqual(["cc:hello/main.c", "ar:libgreet"]);
  });

  it("installs a header from another source (an absolute path) by its name, or by its path below an include dir", () => {
    const s = cbuildSteps({
      srcDir: "/build/jansson",
      includeDirs: ["src", "/build/port/include"],
      libraries: [{ name: "j", sources: ["src/a.c"], headers: ["src/jansson.h", "/build/port/jansson_config.h", "/build/port/include/sys/x.h"] }],
    });
    const outs = s.filter((x) => x.id.startsWith("install-headers:")).flatMap((x) => x.outputs ?? []);
    expect(outs.sort()).toEqual(["$out/include/jansson.h", "$out/include/jansson_config.h", "$out/include/sys/x.h"]);
  });

  it("is deterministic and rejects clashing names", () => {
    expect(cbuildSteps({ libraries: [{ name: "x", sources: ["x.c"] }] })).toEqual(cbuildSteps({ libraries: [{ name: "x", sources: ["x.c"] }] }));
    try {
      cbuildSteps({ libraries: [{ name: "x", sources: ["x.c"] }], executables: [{ name: "libx", sources: ["x.c"] }] });
      expect.unreachable();
    } catch (e) {
      expect(isEkaError(e, "E_CBUILD")).toBe(true);
    }
  });
});
