/**
 * Node entry to store/: opens file stores, resolves the default store address, and adds
 * materialize() (read-only host checkouts of store paths: checkout.node.ts).
 */
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EkaError } from "../errors.ts";
import { initBlake3 } from "../util/blake3.ts";
import { chosenByPhrase, FileBackend } from "./backends/file.node.ts";
import type { Backend } from "./backend.ts";
import { LayeredBackend } from "./backends/layered.ts";
import { openBackendByAddress, StoreImpl, type Store } from "./store.ts";
import { useSha256 } from "./sha256.ts";
import { materializeCheckout } from "./checkout.node.ts";
import type { TempRoots } from "./temproots.node.ts";
import type { NewPathInfo, PathInfo, TreeReader } from "./types.ts";

// Native SHA-256 for NAR hashes on Node; node:crypto is loaded on first use, as loading it cost a
// no-op `eka build` (which hashes no NAR) two milliseconds.
const nodeRequire = createRequire(import.meta.url);
useSha256(() => {
  const h = (nodeRequire("node:crypto") as typeof import("node:crypto")).createHash("sha256");
  return { update: (b) => void h.update(b), digest: () => new Uint8Array(h.digest()) };
});

/** A store address and what chose it, for errors. */
export interface StoreChoice {
  address: string;
  /** `--store`, `EKA_STORE`, `XDG_DATA_HOME` (the default under it) or `default`. */
  chosenBy: string;
}

/**
 * The store to use: `flag` (the value of `--store`), else `$EKA_STORE` (an address or a directory
 * path), else `$XDG_DATA_HOME/eka/store`, else `~/.local/share/eka/store`.
 */
export function chooseStore(flag?: string, env: Record<string, string | undefined> = process.env): StoreChoice {
  if (flag !== undefined) return { address: normalizeAddress(flag, "--store"), chosenBy: "--store" };
  if (env.EKA_STORE) return { address: normalizeAddress(env.EKA_STORE, "EKA_STORE"), chosenBy: "EKA_STORE" };
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return { address: pathToFileURL(path.join(data, "eka", "store")).href, chosenBy: env.XDG_DATA_HOME ? "XDG_DATA_HOME" : "default" };
}

/** The address chooseStore() picks when no flag is given. */
export function defaultStoreAddress(env: Record<string, string | undefined> = process.env): string {
  return chooseStore(undefined, env).address;
}

/**
 * Accepts a plain directory path as well as an address. Spellings that would open the wrong place
 * are refused: `memory` (a directory named so in the cwd, not `memory:`) and `file:` URLs without
 * an absolute path (`file://store` names a host, `file:./x` the root directory's x).
 */
export function normalizeAddress(address: string, chosenBy?: string): string {
  if (address.includes("|")) return address.split("|").map((a) => normalizeAddress(a, chosenBy)).join("|");
  const bad = (why: string) => new EkaError("E_STORE_ADDRESS", `'${address}'${chosenByPhrase(chosenBy)} is not a store address: ${why}`);
  if (address.toLowerCase() === "memory") throw bad("write 'memory:' for a store in memory, or './memory' for a directory of that name");
  if (/^file:/i.test(address) && !/^file:\/\/(localhost)?\//i.test(address)) {
    throw bad(`a file URL needs an absolute path (file:///abs/path); for a path relative to the current directory give it plainly (${address.replace(/^file:(\/\/)?/i, "") || "./store"})`);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(address) && !/^[a-z]:[\\/]/i.test(address)) return address;
  return pathToFileURL(path.resolve(address)).href;
}

export interface OpenStoreOptions {
  /**
   * Create a file store in a missing or empty directory (commands that write; the default). A
   * command that only reads passes false: then a missing or empty directory is E_NO_STORE.
   */
  create?: boolean;
}

/**
 * Opens a store: an address or directory path, or a StoreChoice (whose `chosenBy` errors name);
 * default chooseStore(). A directory that holds something else than a store is E_NOT_A_STORE.
 */
export async function openStore(where: string | StoreChoice = chooseStore(), opts: OpenStoreOptions = {}): Promise<Store> {
  await initBlake3();
  const choice = typeof where === "string" ? { address: normalizeAddress(where), chosenBy: "" } : where;
  const fileOpts = { create: opts.create ?? true, ...(choice.chosenBy ? { chosenBy: choice.chosenBy } : {}) };
  const openFile = (address: string): Backend => {
    if (!address.startsWith("file://")) {
      throw new EkaError("E_STORE_ADDRESS", `'${address}'${chosenByPhrase(choice.chosenBy)} is not a store address: use memory:, file:///absolute/dir, or a directory path`);
    }
    return FileBackend.open(fileURLToPath(address), fileOpts);
  };
  return new NodeStore(openBackendByAddress(choice.address, { openBackend: openFile }));
}

/** The file backend a store writes through (the far one when layered), or null. */
export function fileBackendOf(backend: Backend): FileBackend | null {
  if (backend instanceof FileBackend) return backend;
  if (backend instanceof LayeredBackend) return fileBackendOf(backend.far) ?? fileBackendOf(backend.near);
  return null;
}

export class NodeStore extends StoreImpl {
  /**
   * Set by holdTempRoots (temproots.node.ts): then every path this handle looks up or adds is a
   * temp root first, so a concurrent gc keeps what a build found, until close().
   */
  tempRoots: TempRoots | null = null;

  override has(storePath: string): boolean {
    this.tempRoots?.add(storePath);
    return super.has(storePath);
  }
  override queryPathInfo(storePath: string): PathInfo | null {
    this.tempRoots?.add(storePath);
    return super.queryPathInfo(storePath);
  }
  override register(info: NewPathInfo): PathInfo {
    this.tempRoots?.add(info.storePath);
    return super.register(info);
  }
  override ingest(tree: TreeReader, root: string, info: Omit<NewPathInfo, "cid">): PathInfo {
    this.tempRoots?.add(info.storePath);
    return super.ingest(tree, root, info);
  }
  override close(): void {
    this.tempRoots?.release();
    super.close();
  }

  materialize(storePath: string): string {
    const fb = fileBackendOf(this.backend);
    if (!fb) throw new EkaError("E_STORE_ADDRESS", `materialize needs a file store, and ${this.address} is not one`);
    return materializeCheckout(this, fb, storePath);
  }
}

export { removeReadOnlyTree } from "./checkout.node.ts";
export { FileBackend } from "./backends/file.node.ts";
export { hostTree } from "./host-tree.node.ts";
export type { Store } from "./store.ts";
