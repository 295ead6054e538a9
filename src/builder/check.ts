// `--check`: rebuild a package already in the store, in a fresh sandbox without the action cache,
// and compare the rebuild with the stored output file by file.
import { EkaError } from "../errors.ts";
import type { TreeReader } from "../store/types.ts";
import { blake3, toHex } from "../util/blake3.ts";
import { executePackage, type PackageContext } from "./package.ts";
import { resultOf } from "./path-infos.ts";
import type { PlanNode } from "./plan.ts";
import { join, type WorkDir } from "./sandbox.ts";
import type { BuildResult, CheckReport } from "./types.ts";

export async function checkPackage(n: PlanNode, ctx: PackageContext): Promise<{ result: BuildResult; stepsRun: number; stepsCached: number }> {
  const info = ctx.infos.get(n.storePath);
  if (!info) throw new EkaError("E_NOT_IN_STORE", `${n.storePath} is not in the store; build it before checking it`);
  ctx.onProgress?.({ type: "package-start", storePath: n.storePath, name: `${n.ir.name}-${n.ir.version}`, stepsTotal: n.ir.steps.length });
  const o = await executePackage(n, { ...ctx, fresh: true }, false);
  try {
    const report = compareTrees(ctx.store.tree(info.cid), "", (o.out as WorkDir).reader(), "");
    return { result: { ...resultOf(ctx.infos, n, true), check: report }, stepsRun: o.stepsRun, stepsCached: 0 };
  } finally {
    o.out?.dispose();
  }
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
