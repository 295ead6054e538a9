// The package set's tests share one store and one mirror (test/global-setup.ts makes both): a
// package is built once per run, by whichever test asks first, and every later test reuses it.
// Tests drive eka as a user does, through bin/eka.js.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { runEka } from "../helpers/spawn.ts";

export const ROOT = join(import.meta.dirname, "../..");
export const PKGS = join(ROOT, "pkgs");

declare module "vitest" {
  export interface ProvidedContext {
    pkgsStore: string;
    mirror: string;
  }
}

/** The run's shared store and the mirror holding pkgs/mirror.txt's tarballs. */
export const pkgsStore = (): string => inject("pkgsStore");
export const mirror = (): string => inject("mirror");

export interface EkaRun extends SpawnSyncReturns<string> {
  ms: number;
}

/** Runs `eka ARGS` against the shared store and mirror (override with opts.env). */
export function eka(args: string[], opts: { cwd?: string; input?: string | Uint8Array; env?: Record<string, string>; timeout?: number } = {}): EkaRun {
  const env = { ...process.env, EKA_STORE: pkgsStore(), EKA_MIRRORS: mirror(), ...opts.env };
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, "bin/eka.js"), ...args], {
    env,
    cwd: opts.cwd ?? ROOT,
    encoding: "utf8",
    timeout: opts.timeout ?? 900_000,
    maxBuffer: 256 << 20,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { ...r, ms: Date.now() - t0 };
}

/**
 * `eka ARGS` without blocking this test worker (a long build would starve vitest's own messages
 * to the worker, which it reports as an error): for builds. Short runs may use eka().
 */
export function ekaAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const env = { ...process.env, EKA_STORE: pkgsStore(), EKA_MIRRORS: mirror(), ...opts.env };
  const t0 = Date.now();
  return runEka(join(ROOT, "bin/eka.js"), args, { env, cwd: opts.cwd ?? ROOT }).then((r) => ({ status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 }));
}

/**
 * The C libraries a package builds against (`--libc`): the seed's prebuilt wasi-libc and the one
 * eka's bootstrap builds from source (stage 1). Packages whose tests pass with both run them twice.
 */
export const LIBCS = ["seed", "wasi-libc"] as const;
export type Libc = (typeof LIBCS)[number];

/** buildPkg and runPkg against `libc`. */
export function withLibc(libc: Libc): { build: (name: string) => Promise<string>; run: typeof runPkg } {
  return { build: (name) => buildPkg(name, libc), run: (name, program, args, opts = {}) => runPkg(name, program, args, { ...opts, libc }) };
}

/** Builds pkgs/NAME (and what it depends on) into the shared store; its store path. */
export async function buildPkg(name: string, libc: Libc = "seed"): Promise<string> {
  const r = await ekaAsync(["build", join(PKGS, name), `--libc=${libc}`, "--json", "--no-progress"]);
  if (r.status !== 0) throw new Error(`eka build pkgs/${name} failed (exit ${r.status}):\n${r.stderr}`);
  const out = JSON.parse(r.stdout) as { results: { storePath: string }[] };
  return out.results[0]?.storePath as string;
}

/**
 * Runs PROGRAM of pkgs/NAME under eka's WASI host (`eka run`), in `cwd` (visible read-write to
 * the program at its own path), building the package first if the store lacks it.
 */
export function runPkg(name: string, program: string, args: string[], opts: { cwd?: string; input?: string | Uint8Array; libc?: Libc } = {}): EkaRun {
  const { libc = "seed", ...rest } = opts;
  return eka(["run", join(PKGS, name), `--libc=${libc}`, "-p", program, "--", ...args], rest);
}

/** A fresh scratch directory for one test's files. */
export const scratch = (what: string): string => mkdtempSync(join(tmpdir(), `eka-pkg-${what}-`));
