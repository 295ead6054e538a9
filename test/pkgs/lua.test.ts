// Lua 5.4 under eka's WASI host: a script using closures, string patterns, pcall/xpcall/error,
// coroutines and file I/O prints what native Lua 5.4.4 prints (fixtures/lua/features.expected was
// checked against a native build), uncaught and syntax errors name their line, luac's bytecode
// runs, and what WASI lacks fails the way Lua reports a missing facility.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildPkg, runPkg, scratch } from "./helpers.js";

const FIXTURES = join(import.meta.dirname, "fixtures/lua");

describe("pkgs/lua", () => {
  // await: buildPkg may become asynchronous (a long synchronous build starves vitest\'s RPC).
  beforeAll(async () => {
    await buildPkg("lua");
  }, 900_000);

  it("runs a script with closures, patterns, pcall, coroutines and file I/O", () => {
    const dir = scratch("lua");
    copyFileSync(join(FIXTURES, "features.lua"), join(dir, "features.lua"));
    const r = runPkg("lua", "lua", ["features.lua"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(FIXTURES, "features.expected"), "utf8"));
    expect(existsSync(join(dir, "moved.txt"))).toBe(false);
  });

  it("reports an uncaught error and a syntax error at their line, exiting 1", () => {
    const dir = scratch("lua");
    writeFileSync(join(dir, "fail.lua"), 'local x = 1\n\nlocal function f() error("it broke") end\nf()\n');
    writeFileSync(join(dir, "syntax.lua"), "local a = 1\nif a then\n  print(a\nend\n");
    const fail = runPkg("lua", "lua", ["fail.lua"], { cwd: dir });
    expect(fail.status).toBe(1);
    expect(fail.stderr).toMatch(/^lua: fail\.lua:3: it broke\nstack traceback:\n/);
    expect(fail.stderr).toContain("fail.lua:4: in main chunk");
    const syntax = runPkg("lua", "lua", ["syntax.lua"], { cwd: dir });
    expect(syntax.status).toBe(1);
    expect(syntax.stderr).toContain("lua: syntax.lua:4: ')' expected (to close '(' at line 3) near 'end'");
  });

  it("compiles with luac and runs the bytecode; reads a chunk from stdin", () => {
    const dir = scratch("lua");
    writeFileSync(join(dir, "sq.lua"), "local t = {}\nfor i = 1, 5 do t[#t + 1] = i * i end\nprint(table.concat(t, ' '))\n");
    const luac = runPkg("lua", "luac", ["-o", "sq.luac", "sq.lua"], { cwd: dir });
    expect(luac.status).toBe(0);
    expect(readFileSync(join(dir, "sq.luac")).subarray(0, 5)).toEqual(Buffer.from("\x1bLuaT"));
    expect(runPkg("lua", "lua", ["sq.luac"], { cwd: dir }).stdout).toBe("1 4 9 16 25\n");
    expect(runPkg("lua", "luac", ["-p", "-l", "sq.lua"], { cwd: dir }).stdout).toMatch(/^\nmain <sq\.lua:0,0> \(\d+ instructions/);
    expect(runPkg("lua", "lua", ["-"], { input: 'print(("ab"):rep(3), _VERSION)\n' }).stdout).toBe("ababab\tLua 5.4\n");
  });

  it("reports what WASI lacks as Lua reports a missing facility", () => {
    const r = runPkg("lua", "lua", ["-e", 'print(os.execute(), pcall(io.popen, "ls")); print(io.tmpfile()); print(pcall(os.tmpname))']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^false\tfalse\t'popen' not supported\nnil\tFunction not implemented\t\d+\nfalse\tunable to generate a unique filename\n$/);
  });
});
