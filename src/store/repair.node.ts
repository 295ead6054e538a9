/**
 * `eka store repair`: mends damaged paths of a file store from what holds a copy of their bytes —
 * the path's own checkout, then a binary cache (`from`) — and makes changed checkouts again.
 * Every object is replaced whole (repair.ts restoreObject), and only by bytes that hash to the
 * digest the path records. A path the store cannot mend needs a rebuild: `eka build --repair`.
 */
import { EkaError } from "../errors.ts";
import { fetchFromCache } from "./binary-cache.node.ts";
import { checkoutPath, checkoutsOf, remakeCheckout } from "./checkout.node.ts";
import { digestOf } from "./digest.ts";
import { narHashOf } from "./nar.ts";
import { fileBackendOf } from "./open.node.ts";
import { findDamage, mendPath, placeOf, treeDrift, type Damage } from "./repair.ts";
import type { Store } from "./store.ts";
import type { TreeReader } from "./types.ts";
import { verifyStore } from "./verify.ts";

export interface RepairAction {
  storePath: string;
  /** The file inside the path ("" for the path, or a whole checkout). */
  file: string;
  /** What mended it: its checkout, a binary cache, or a checkout made again from the objects. */
  by: "checkout" | "cache" | "remade-checkout" | "deleted";
  message: string;
}

export interface RepairReport {
  /** Paths looked at. */
  paths: number;
  repaired: RepairAction[];
  /** What is still wrong, as verify words it. */
  left: { code: string; storePath: string; file: string; message: string }[];
}

export interface RepairOptions {
  /** A binary cache directory, file:// or http(s):// URL to fetch damaged paths from. */
  from?: string;
}

/** Repairs `storePaths` (each registered), or with none every damaged path and loose object. */
export async function repairStore(store: Store, storePaths: string[] | "all", options: RepairOptions = {}): Promise<RepairReport> {
  const fb = fileBackendOf(store.backend);
  const report: RepairReport = { paths: 0, repaired: [], left: [] };
  let targets: string[];
  if (storePaths === "all") {
    const problems = verifyStore(store, fb ? { checkoutOf: checkoutsOf(fb) } : {}).problems;
    targets = [...new Set(problems.flatMap((p) => (p.storePath ? [p.storePath] : [])))];
    report.repaired.push(...deleteLooseCorrupt(store, problems.flatMap((p) => (!p.storePath && p.object ? [p.object] : []))));
    report.paths = store.pathInfo.list().length;
  } else {
    targets = storePaths;
    report.paths = targets.length;
  }
  for (const p of targets) await repairPath(store, p, options, report);
  return report;
}

async function repairPath(store: Store, storePath: string, options: RepairOptions, report: RepairReport): Promise<void> {
  const info = store.queryPathInfo(storePath);
  if (!info) throw new EkaError("E_NOT_IN_STORE", `cannot repair ${storePath}: it is not in the store ${store.address}`);
  const fb = fileBackendOf(store.backend);
  let damage = findDamage(store, storePath, info.cid);
  const mendWith = (source: TreeReader, by: RepairAction["by"], label: string) => {
    const { mended, left } = mendPath(store, storePath, info.cid, source, "", damage);
    for (const d of mended) report.repaired.push({ storePath, file: d.file, by, message: `repaired ${placeOf(storePath, d.file)} from ${label} (${whatWasWrong(d)})` });
    damage = left;
  };
  const checkout = fb ? checkoutsOf(fb)(storePath) : null;
  if (damage.length && checkout) mendWith(checkout.tree, "checkout", `its checkout ${checkout.where}`);
  if (damage.length && options.from) {
    const fetched = await fetchFromCache(options.from, storePath);
    if (fetched) mendWith(fetched.tree, "cache", `the binary cache ${fetched.where}`);
  }
  if (damage.length) {
    for (const d of damage) report.left.push({ code: d.code, storePath, file: d.file, message: d.message });
    return;
  }
  const { narHash, narSize } = narHashOf(store.dump(storePath));
  if (narHash !== info.narHash || narSize !== info.narSize) {
    report.left.push({ code: "E_HASH_MISMATCH", storePath, file: "", message: `${storePath}: its objects are whole, but their NAR hash/size is ${narHash}/${narSize} and the path info says ${info.narHash}/${info.narSize}` });
    return;
  }
  const remade = repairCheckout(store, storePath);
  if (remade) report.repaired.push(remade);
}

/**
 * Makes the checkout of a path (whose objects are whole) again if it differs from them; the
 * action taken, or null when there is no checkout or it is faithful.
 */
export function repairCheckout(store: Store, storePath: string): RepairAction | null {
  const fb = fileBackendOf(store.backend);
  const info = store.queryPathInfo(storePath);
  const checkout = fb && checkoutsOf(fb)(storePath);
  if (!fb || !info || !checkout) return null;
  const drift = treeDrift(store, storePath, info.cid, checkout.tree, checkout.where);
  if (!drift.length) return null;
  remakeCheckout(store, fb, storePath);
  const shown = drift.map((d) => d.file || ".").join(", ");
  return { storePath, file: "", by: "remade-checkout", message: `made the checkout ${checkoutPath(fb, storePath)} again from the store (changed: ${shown})` };
}

function whatWasWrong(d: Damage): string {
  return d.code === "E_MISSING_OBJECT" ? `its ${d.kind} object was missing` : `its ${d.kind} object was corrupt`;
}

/** Corrupt objects no path uses (the action cache's): deleted, so a lookup misses and reruns. */
function deleteLooseCorrupt(store: Store, objects: string[]): RepairAction[] {
  const out: RepairAction[] = [];
  const b = store.backend;
  b.withLock(() => {
    for (const d of objects as ReturnType<typeof digestOf>[]) {
      for (const kind of ["blob", "directory"] as const) {
        const bytes = b.readObject(kind, d);
        if (bytes === null || digestOf(bytes) === d) continue;
        b.deleteObject(kind, d);
        out.push({ storePath: "", file: "", by: "deleted", message: `deleted the corrupt ${kind} ${d}, which no path uses` });
      }
    }
  });
  return out;
}

/** The one-line error for what repair could not mend, with the ways left. */
export function unrepaired(report: RepairReport): EkaError {
  const byPath = new Map<string, string[]>();
  for (const l of report.left) byPath.set(l.storePath, [...(byPath.get(l.storePath) ?? []), l.file || "."]);
  const first = report.left[0];
  const paths = [...byPath].map(([p, files]) => `${p} (${files.join(", ")})`).join("; ");
  return new EkaError(
    first?.code === "E_MISSING_OBJECT" ? "E_MISSING_OBJECT" : "E_CORRUPT_OBJECT",
    `could not repair ${paths}: no checkout or binary cache had the right bytes; rebuild with 'eka build --repair ATOM' (the atom that builds it), or name a binary cache that has it with --from DIR|URL`,
  );
}
