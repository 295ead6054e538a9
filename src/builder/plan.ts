// The plan: which nodes of the graph are missing from the store, in dependency order. No I/O
// beyond store lookups, and only of nodes it must know about: a no-op costs one lookup per root.
import { EkaError } from "../errors.ts";
import { inputNodes, pidOf, storePathOf, validateIR } from "../ir/pid.ts";
import type { PackageIR } from "../ir/types.ts";
import type { Digest } from "../store/digest.ts";

export interface PlanNode {
  ir: PackageIR;
  pid: Digest;
  storePath: string;
  /** Input nodes (not plain store paths). */
  deps: PlanNode[];
  /** Already in the store when planned; undefined for nodes the plan did not need to ask about. */
  present?: boolean;
}

export interface Plan {
  /** Every node reachable from the roots, inputs before the nodes that use them. */
  nodes: PlanNode[];
  roots: PlanNode[];
  /** The nodes to build: missing ones a root needs, and roots to check; inputs first. */
  toBuild: PlanNode[];
}

export function plan(roots: PackageIR[], has: (storePath: string) => boolean, check = false): Plan {
  const byPath = new Map<string, PlanNode>();
  const nodes: PlanNode[] = [];
  const visiting = new Set<string>();
  const visit = (ir: PackageIR): PlanNode => {
    const storePath = storePathOf(ir);
    const seen = byPath.get(storePath);
    if (seen) return seen;
    if (visiting.has(storePath)) throw new EkaError("E_IR_CYCLE", `package '${ir.name}' depends on itself (through its inputs)`);
    visiting.add(storePath);
    validateIR(ir);
    const deps = inputNodes(ir).map(visit);
    visiting.delete(storePath);
    const node: PlanNode = { ir, pid: pidOf(ir), storePath, deps };
    byPath.set(storePath, node);
    nodes.push(node);
    return node;
  };
  const rootNodes = roots.map(visit);
  // Only what a missing (or checked) root needs: a node already in the store needs none of its
  // inputs, as Nix needs no build inputs of a path it has.
  const needed = new Set<PlanNode>();
  const need = (n: PlanNode, isRoot: boolean) => {
    if (needed.has(n)) return;
    n.present ??= has(n.storePath);
    if (n.present && !(check && isRoot)) return;
    needed.add(n);
    for (const d of n.deps) need(d, false);
  };
  for (const r of rootNodes) need(r, true);
  const toBuild = nodes.filter((n) => needed.has(n));
  return { nodes, roots: rootNodes, toBuild };
}
