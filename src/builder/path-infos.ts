// What one build asks the store about a path — is it there, what it refers to, how big it is —
// asked once and remembered for the rest of the build, so a no-op over a large graph costs one
// lookup per path it needs and the closure sizes of the results cost nothing more.
import { EkaError } from "../errors.ts";
import { findDamage, type Damage } from "../store/repair.ts";
import { closureOf, type Store } from "../store/store.ts";
import type { PathInfo } from "../store/types.ts";
import type { PlanNode } from "./plan.ts";
import type { BuildResult } from "./types.ts";

export class PathInfos {
  private readonly known = new Map<string, PathInfo | null>();
  constructor(readonly store: Store) {}

  get(storePath: string): PathInfo | null {
    let info = this.known.get(storePath);
    if (info === undefined) this.known.set(storePath, (info = this.store.queryPathInfo(storePath)));
    return info;
  }

  /** Asks the store again: another process may have registered the path since. */
  refresh(storePath: string): PathInfo | null {
    this.known.delete(storePath);
    return this.get(storePath);
  }

  /**
   * What is wrong with the objects of a registered path: missing, or of another size than recorded
   * (a stat each on a file store, so a no-op stays fast); with `contents`, re-hashed too. Asked
   * afresh each time; [] for a path not in the store.
   */
  damage(storePath: string, contents = false): Damage[] {
    const info = this.get(storePath);
    return info ? findDamage(this.store, storePath, info.cid, { contents }) : [];
  }

  /** Records a path this build registered. */
  set(info: PathInfo): void {
    this.known.set(info.storePath, info);
  }

  /** The paths and everything they refer to, transitively; sorted. A missing path is E_NOT_IN_STORE. */
  closure(storePaths: readonly string[]): string[] {
    return closureOf(storePaths, (p) => this.get(p), this.store.address);
  }
}

/** The result of a node in the store; `built` says whether this build made it. */
export function resultOf(infos: PathInfos, n: PlanNode, built: boolean): BuildResult {
  const info = infos.get(n.storePath);
  if (!info) throw new EkaError("E_NOT_IN_STORE", `${n.storePath} vanished from the store ${infos.store.address} (collected by a concurrent gc?); build again`);
  let closureSize = 0;
  for (const p of infos.closure([n.storePath])) closureSize += infos.get(p)?.narSize ?? 0;
  return { pid: n.pid, storePath: n.storePath, cid: info.cid, built, references: info.references, narSize: info.narSize, closureSize };
}
