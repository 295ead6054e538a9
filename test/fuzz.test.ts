// Fuzzing every parser that reads bytes a user or a server hands eka: NAR, narinfo, the export
// format, atom.toml, atom.lock and WebAssembly modules. Seeded mutations of valid inputs (bit
// flips, byte changes, truncations, insertions, deletions, duplications) for a bounded count: each
// input is accepted or refused with a coded EkaError, never another exception (a crash, a stack
// overflow, a TypeError), and imports write nothing outside their target.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import wabtInit from "wabt";
import { afterAll, describe, expect, it } from "vitest";
import { parseLock } from "../src/atom/lock.ts";
import { parseManifest } from "../src/atom/manifest.ts";
import { EkaError } from "../src/errors.ts";
import { compileModule } from "../src/runtime/modules.ts";
import { MemoryFS, runWasi } from "../src/runtime/index.ts";
import { restoreNar } from "../src/store/restore.node.ts";
import { exportPaths, formatNarinfo, importNar, importPaths, MemoryTree, narDump, openStore, parseNarinfo, verifyStore, type Store } from "../src/store/index.node.ts";
import { concatBytes } from "../src/util/bytes.ts";

const ROOT = path.join(import.meta.dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-fuzz-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The same mutants on every run; EKA_FUZZ_SEED=N explores others (a failure names the mutation). */
const SEED = Number(process.env.EKA_FUZZ_SEED ?? 0x5eed);

/** mulberry32: small, seeded, the same sequence on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One to four random edits of `input`; `what` says which, for a failure message. */
function mutate(input: Uint8Array, rand: () => number): { bytes: Uint8Array; what: string } {
  let b = input;
  const edits: string[] = [];
  const at = (n: number) => Math.floor(rand() * n);
  for (let k = 1 + at(4); k > 0; k--) {
    const i = at(b.length + 1);
    const op = at(6);
    if (op === 0 && b.length) {
      const j = Math.min(i, b.length - 1);
      b = b.slice();
      b[j] = (b[j] as number) ^ (1 << at(8));
      edits.push(`flip bit at ${j}`);
    } else if (op === 1 && b.length) {
      const j = Math.min(i, b.length - 1);
      b = b.slice();
      // Bytes that matter to the formats: 0, 0xff, a length's low byte, ASCII structure.
      b[j] = [0, 0xff, 0x7f, 0x80, 0x0a, 0x22, 0x5b, 0x7b, 0x24, at(256)][at(10)] as number;
      edits.push(`set byte at ${j}`);
    } else if (op === 2) {
      b = b.slice(0, i);
      edits.push(`truncate to ${i}`);
    } else if (op === 3) {
      const ins = new Uint8Array(1 + at(16)).map(() => at(256));
      b = concatBytes([b.slice(0, i), ins, b.slice(i)]);
      edits.push(`insert ${ins.length} at ${i}`);
    } else if (op === 4) {
      const n = 1 + at(32);
      b = concatBytes([b.slice(0, i), b.slice(i + n)]);
      edits.push(`delete ${n} at ${i}`);
    } else {
      const n = 1 + at(64);
      b = concatBytes([b.slice(0, i + n), b.slice(i, i + n), b.slice(i + n)]);
      edits.push(`duplicate ${n} at ${i}`);
    }
  }
  return { bytes: b, what: edits.join(", ") };
}

/** Fragments that matter to TOML and narinfo: other types, unterminated things, odd numbers. */
const TOKENS = ['""', '"${', '"${atom.version}"', '"$${x}"', "[]", "{}", "[[x]]", "[x]", "1e999", "-1", "0x7fffffffffffffff", "true", '"\\u0000"', "'", '"""', "=", ".", "nan", '{ a = 1 }', '["a", 1]', ":", "\n", "#"];

/** Line- and token-level edits of a text format, so mutants get past its lexer. */
function mutateText(input: Uint8Array, rand: () => number): { bytes: Uint8Array; what: string } {
  const lines = text(input).split("\n");
  const at = (n: number) => Math.floor(rand() * n);
  const edits: string[] = [];
  for (let k = 1 + at(3); k > 0; k--) {
    const i = at(lines.length);
    const op = at(4);
    if (op === 0) {
      lines.splice(i, 1);
      edits.push(`delete line ${i}`);
    } else if (op === 1) {
      lines.splice(at(lines.length), 0, lines[i] ?? "");
      edits.push(`copy line ${i}`);
    } else if (op === 2) {
      const line = lines[i] ?? "";
      const eq = line.indexOf("=");
      const tok = TOKENS[at(TOKENS.length)] as string;
      lines[i] = eq >= 0 ? `${line.slice(0, eq + 1)} ${tok}` : `${tok}${line}`;
      edits.push(`value of line ${i} := ${tok}`);
    } else {
      const line = lines[i] ?? "";
      const j = at(line.length + 1);
      const tok = TOKENS[at(TOKENS.length)] as string;
      lines[i] = line.slice(0, j) + tok + line.slice(j);
      edits.push(`insert ${tok} in line ${i}`);
    }
  }
  return { bytes: utf8.encode(lines.join("\n")), what: edits.join(", ") };
}


const utf8 = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * Feeds `iterations` mutations of each seed input to `parse`; collects every input whose failure
 * was not an EkaError, with the mutation that made it, so one run lists them all.
 */
async function fuzz(name: string, seeds: Uint8Array[], iterations: number, parse: (b: Uint8Array) => unknown, opts: { text?: boolean } = {}): Promise<{ ok: number; refused: Set<string>; crashes: string[] }> {
  const rand = rng(SEED ^ (name.length * 7919));
  const refused = new Set<string>();
  const crashes: string[] = [];
  let ok = 0;
  for (const seed of seeds) await parse(seed);
  for (let i = 0; i < iterations; i++) {
    const seed = seeds[i % seeds.length] as Uint8Array;
    // Text formats get half their mutants from line and token edits.
    const { bytes, what } = opts.text && i % 2 === 0 ? mutateText(seed, rand) : mutate(seed, rand);
    try {
      await parse(bytes);
      ok++;
    } catch (e) {
      if (e instanceof EkaError) refused.add(e.code);
      else crashes.push(`${name} #${i} (${what}): ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }
  return { ok, refused, crashes };
}

/** A tree with every kind of NAR node: files, an executable, symlinks, nested and empty directories. */
function sampleTree(): MemoryTree {
  const t = new MemoryTree();
  t.directory("");
  t.put("a.txt", { kind: "file", data: utf8.encode("hello\n"), executable: false });
  t.put("bin/tool", { kind: "file", data: utf8.encode("#!/bin/sh\necho hi\n"), executable: true });
  t.put("bin/link", { kind: "symlink", target: "tool" });
  t.put("deep/er/still/x", { kind: "file", data: new Uint8Array(300).map((_, i) => i & 0xff), executable: false });
  t.directory("empty");
  t.put("ünï.txt", { kind: "file", data: utf8.encode("ü"), executable: false });
  return t;
}

describe("fuzz: the parsers of untrusted bytes", () => {
  it("NAR: into a memory store, a directory store, and restored to a host directory, writing nothing outside", async () => {
    const nar = concatBytes([...narDump(sampleTree())]);
    const disk = path.join(tmp, "nar");
    fs.mkdirSync(disk);
    const fileStore = await openStore(path.join(disk, "store"));
    const storePath = "/nix/store/0000000000000000000000000000000a-fuzz";
    let n = 0;
    const r = await fuzz("nar", [nar], 2000, async (b) => {
      await importNar(await openStore("memory:"), [b], { storePath });
      const target = path.join(disk, "out", `r${n++}`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      await restoreNar([b], target);
    });
    // The directory store's import and restore are what a user's `eka store import/restore` run.
    await fuzz("nar-file-store", [nar], 150, (b) => importNar(fileStore, [b], { storePath: `/nix/store/${"1".repeat(31)}b-fuzz${n++}` }));
    expect(r.crashes).toEqual([]);
    expect(r.ok).toBeGreaterThan(0);
    expect(r.refused).toContain("E_BAD_NAR");
    expect(fs.readdirSync(disk).sort()).toEqual(["out", "store"]);
    expect(fs.readdirSync(path.join(disk, "out")).every((f) => /^r\d+$/.test(f)), "restore wrote only its targets").toBe(true);
    expectStoreVerifies(fileStore);
  });

  it("NAR: directories nested past any file system's depth are refused, not a stack overflow", async () => {
    const str = (t: string) => {
      const b = utf8.encode(t);
      const out = new Uint8Array(8 + Math.ceil(b.length / 8) * 8);
      new DataView(out.buffer).setBigUint64(0, BigInt(b.length), true);
      out.set(b, 8);
      return out;
    };
    const level = ["(", "type", "directory", "entry", "(", "name", "d", "node"].map(str);
    const parts = [str("nix-archive-1"), ...Array.from({ length: 5000 }, () => level).flat(), ...["(", "type", "directory", ")"].map(str), ...Array.from({ length: 10000 }, () => str(")"))];
    await expect(importNar(await openStore("memory:"), parts, { storePath: "/nix/store/0000000000000000000000000000000a-deep" })).rejects.toMatchObject({ code: "E_BAD_NAR", message: expect.stringMatching(/nested deeper than 2048 levels/) });
  });

  it("the export format: into a memory store", async () => {
    const src = await openStore("memory:");
    const lib = src.ingest(sampleTree(), "", { storePath: "/nix/store/0000000000000000000000000000000c-lib", references: [] });
    const app = new MemoryTree();
    app.put("ref", { kind: "file", data: utf8.encode(lib.storePath), executable: false });
    const top = src.ingest(app, "", { storePath: "/nix/store/0000000000000000000000000000000d-app", references: [lib.storePath] });
    const stream = concatBytes([...exportPaths(src, [top.storePath])]);
    const r = await fuzz("export", [stream], 1500, async (b) => importPaths(await openStore("memory:"), [b]));
    expect(r.crashes).toEqual([]);
    expect(r.refused).toContain("E_BAD_EXPORT");
  });

  it("narinfo", async () => {
    const seed = formatNarinfo({
      storePath: "/nix/store/0000000000000000000000000000000a-fuzz",
      url: "nar/1abc.nar.xz",
      compression: "xz",
      fileHash: "sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s",
      fileSize: 1234,
      narHash: "sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s",
      narSize: 5678,
      references: ["/nix/store/0000000000000000000000000000000a-fuzz", "/nix/store/0000000000000000000000000000000c-lib"],
      deriver: "/nix/store/0000000000000000000000000000000e-fuzz.drv",
      signatures: ["cache.example.org-1:" + "A".repeat(86) + "=="],
    });
    const r = await fuzz("narinfo", [utf8.encode(seed)], 8000, (b) => parseNarinfo(text(b)), { text: true });
    expect(r.crashes).toEqual([]);
    expect(r.refused).toContain("E_BAD_NARINFO");
  });

  it("atom.toml", async () => {
    const seeds = ["hello", "greet-app", "greet-lib", "sqlite"].map((a) => fs.readFileSync(path.join(ROOT, "examples", a, "atom.toml")));
    const docs = fs.readFileSync(path.join(ROOT, "docs/atom.md"), "utf8").match(/```toml\n([\s\S]*?)```/g) ?? [];
    // docs/atom.md's examples that parse as they stand (some hold placeholders such as "sha256:…").
    for (const block of docs) {
      const toml = Buffer.from(block.replace(/^```toml\n|```$/g, ""));
      try {
        parseManifest(text(toml));
        seeds.push(toml);
      } catch {
        // a fragment, not a whole manifest
      }
    }
    const r = await fuzz("atom.toml", seeds, 8000, (b) => parseManifest(text(b)), { text: true });
    expect(r.crashes).toEqual([]);
    expect(r.refused).toContain("E_MANIFEST_SYNTAX");
  });

  it("atom.lock", async () => {
    const seeds = ["greet-app", "sqlite"].map((a) => fs.readFileSync(path.join(ROOT, "examples", a, "atom.lock")));
    const r = await fuzz("atom.lock", seeds, 8000, (b) => parseLock(text(b)), { text: true });
    expect(r.crashes).toEqual([]);
    expect(r.refused).toContain("E_LOCK");
  });

  it("WebAssembly modules: compiled, their imports and exports checked, run", async () => {
    const w = await wabtInit();
    const wat = `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hi\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $exit (i32.const 0))))`;
    const wasm = new Uint8Array(w.parseWat("fuzz.wat", wat).toBinary({}).buffer);
    const r = await fuzz("wasm", [wasm], 1500, async (b) => {
      const { module } = await compileModule(b);
      return runWasi(module, { args: ["fuzz"], env: {}, preopens: [{ guest: "/", fs: new MemoryFS() }], limits: { maxMemoryBytes: 1 << 24, maxOutputBytes: 1 << 16 } });
    });
    expect(r.crashes).toEqual([]);
    expect(r.refused).toContain("E_WASM_COMPILE");
  });
});

function expectStoreVerifies(store: Store): void {
  expect(verifyStore(store, { checkContents: true }).problems).toEqual([]);
}
