// Shared setup for build tests: a file store in a temp dir with the seed imported, and small C
// packages described with cbuild.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { narHash } from "../../src/store/hash.ts";
import { hostTree } from "../../src/store/host-tree.node.ts";
import type { PackageIR, InputRef } from "../../src/ir/index.ts";
import { storePathOf } from "../../src/ir/index.ts";
import { cbuildSteps, type CBuildSpec } from "../../src/toolchains/cbuild/index.ts";

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `eka-${label}-`));
}

/** Writes files (relative path → text) under dir/name and returns the directory. */
export function writeSources(dir: string, name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

/** A C package whose source `src` is the host directory `srcDir`. */
export async function cPackage(
  name: string,
  srcDir: string,
  spec: CBuildSpec,
  opts: { seed: string; inputs?: Record<string, InputRef>; config?: PackageIR["config"]; version?: string },
): Promise<PackageIR> {
  const inputs: Record<string, InputRef> = { seed: opts.seed, ...opts.inputs };
  const deps = Object.entries(inputs)
    .filter(([k]) => k !== "seed")
    .map(([, v]) => (typeof v === "string" ? v : storePathOf(v)));
  return {
    irVersion: 1,
    name,
    version: opts.version ?? "1.0",
    platform: { build: "wasm32-wasip1", host: "wasm32-wasip1" },
    inputs,
    sources: { src: { kind: "path", path: srcDir, hash: "blake3:" + narHash(hostTree(srcDir), "blake3") } },
    config: opts.config ?? null,
    env: {},
    steps: cbuildSteps({ ...spec, deps: [...deps, ...(spec.deps ?? [])] }),
    outputs: ["out"],
  };
}
