// Rebuilding a package already in the store, in a fresh sandbox without the action cache (whose
// outputs share the store's objects, so a damaged one would be served again): `--check` compares
// the rebuild with the stored output file by file; a repair (and a check of a damaged output)
// mends the stored objects from the rebuild, taking only bytes that hash to what the store recorded.
import { EkaError } from "../errors.ts";
import { mendPath, type Damage } from "../store/repair.ts";
import type { Digest } from "../store/digest.ts";
import type { TreeReader } from "../store/types.ts";
import { blake3, toHex } from "../util/blake3.ts";
import { executePackage, type PackageContext } from "./package.ts";
import { resultOf } from "./path-infos.ts";
import type { PlanNode } from "./plan.ts";
import { join, type WorkDir } from "./sandbox.ts";
import type { BuildResult, CheckReport } from "./types.ts";

type Rebuilt = { result: BuildResult; stepsRun: number; stepsCached: number };

export async function checkPackage(n: PlanNode, ctx: PackageContext): Promise<Rebuilt> {
  const info = ctx.infos.get(n.storePath);
  if (!info) throw new EkaError("E_NOT_IN_STORE", `${n.storePath} is not in the store; build it before checking it`);
  const damage = ctx.infos.damage(n.storePath, true);
  return rebuild(n, ctx, damage, (out, repaired) => {
    const check = compareTrees(ctx.store.tree(info.cid), "", out, "");
    return { ...resultOf(ctx.infos, n, true), check, ...(repaired.length ? { repaired } : {}) };
  });
}

/** Rebuilds `n`, found in the store with `damage`, and mends its objects from the rebuild. */
export async function repairPackage(n: PlanNode, ctx: PackageContext, damage: Damage[]): Promise<Rebuilt> {
  return rebuild(n, ctx, damage, (_out, repaired) => ({ ...resultOf(ctx.infos, n, true), repaired }));
}

async function rebuild(n: PlanNode, ctx: PackageContext, damage: Damage[], done: (out: TreeReader, repaired: string[]) => BuildResult): Promise<Rebuilt> {
  const name = `${n.ir.name}-${n.ir.version}`;
  if (damage.length) ctx.onProgress?.({ type: "repair", storePath: n.storePath, name, problems: damage.map((d) => d.message) });
  ctx.onProgress?.({ type: "package-start", storePath: n.storePath, name, stepsTotal: n.ir.steps.length });
  const o = await executePackage(n, { ...ctx, fresh: true }, false);
  try {
    const out = (o.out as WorkDir).reader();
    const repaired = damage.length ? mend(n, ctx, damage, out) : [];
    if (damage.length) ctx.state.writeLog(n.pid, n.storePath, o.log);
    return { result: done(out, repaired), stepsRun: o.stepsRun, stepsCached: 0 };
  } finally {
    o.out?.dispose();
  }
}

function mend(n: PlanNode, ctx: PackageContext, damage: Damage[], out: TreeReader): string[] {
  const cid = ctx.infos.get(n.storePath)?.cid as Digest;
  const { mended, left } = mendPath(ctx.store, n.storePath, cid, out, "", damage);
  if (left.length) {
    const files = [...new Set(left.map((d) => d.file || "."))].join(", ");
    throw new EkaError(
      "E_CHECK_DIFFERS",
      `cannot repair ${n.storePath}: rebuilding it gave other bytes for ${files} than the store recorded (the build is not reproducible there); fetch a good copy with 'eka store repair ${n.storePath} --from DIR|URL'`,
    );
  }
  return [...new Set(mended.map((d) => d.file || "."))];
}

/** File-by-file comparison of two trees. */
export function compareTrees(a: TreeReader, aRoot: string, b: TreeReader, bRoot: string): CheckReport {
  const differences: CheckReport["differences"] = [];
  const visit = (rel: string) => {
    const sa = a.stat(join(aRoot, rel));
    const sb = b.stat(join(bRoot, rel));
    const shown = rel || ".";
    if (!sa && !sb) return;
    if (!sa) return void differences.push({ path: shown, kind: "added" });
    if (!sb) return void differences.push({ path: shown, kind: "removed" });
    if (sa.kind !== sb.kind || sa.executable !== sb.executable) return void differences.push({ path: shown, kind: "type" });
    if (sa.kind === "directory") {
      const names = new Set([...a.readdir(join(aRoot, rel)), ...b.readdir(join(bRoot, rel))]);
      for (const nm of [...names].sort()) visit(join(rel, nm));
    } else if (sa.kind === "symlink") {
      if (a.readlink(join(aRoot, rel)) !== b.readlink(join(bRoot, rel))) differences.push({ path: shown, kind: "changed" });
    } else if (toHex(blake3(a.readFile(join(aRoot, rel)))) !== toHex(blake3(b.readFile(join(bRoot, rel))))) {
      differences.push({ path: shown, kind: "changed" });
    }
  };
  visit("");
  return { identical: differences.length === 0, differences };
}
