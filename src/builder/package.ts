// Builds one package: assemble its sandbox, load its sources, run its steps, then scan $out for
// references and ingest it under the package's store path (objects first, then the path info).
import { EkaError } from "../errors.ts";
import type { Digest } from "../store/digest.ts";
import type { PathInfo } from "../store/types.ts";
import { assembleSandbox, inputPaths, loadSources } from "./package-sandbox.ts";
import type { PathInfos } from "./path-infos.ts";
import type { PlanNode } from "./plan.ts";
import { scanReferences } from "./references.ts";
import type { SandboxHost, WorkDir } from "./sandbox.ts";
import type { SourceHost } from "./sources.ts";
import { runSteps, StepFailure, type StepsContext } from "./steps.ts";

export interface PackageContext extends StepsContext {
  sandboxes: SandboxHost;
  sources: SourceHost;
  infos: PathInfos;
}

export interface PackageOutcome {
  /** The registered output; with `ingest: false`, `out` holds the fresh $out instead (the caller disposes it). */
  info?: PathInfo;
  out?: WorkDir;
  stepsRun: number;
  stepsCached: number;
  log: string;
}

/** Builds `node` in a fresh sandbox. With ingest, registers $out under its store path. */
export async function executePackage(node: PlanNode, ctx: PackageContext, ingest = true): Promise<PackageOutcome> {
  const { ir, storePath } = node;
  const closure = ctx.infos.closure(Object.values(inputPaths(ir)));
  const sandbox = assembleSandbox(ir, storePath, closure, ctx.store, ctx.sandboxes);
  const log: string[] = [];
  let keepOut = false;
  try {
    await loadSources(ir, sandbox, ctx.store, ctx.sources);
    const counts = await runSteps(ir.steps, sandbox, { ...ctx, cidOf: (p) => ctx.infos.get(p)?.cid }, log);
    const reader = sandbox.out.reader();
    if (!reader.stat("")) throw new EkaError("E_NO_OUTPUT", `package ${ir.name}-${ir.version} produced no $out`);
    const text = log.join("\n") + "\n";
    if (!ingest) {
      keepOut = true;
      return { out: sandbox.out, ...counts, log: text };
    }
    const references = scanReferences(reader, [...closure, storePath]);
    const info = ctx.store.ingest(reader, "", { storePath, references, pid: node.pid as Digest });
    return { info, ...counts, log: text };
  } catch (e) {
    const where = ctx.state.writeLog(node.pid, storePath, log.join("\n") + "\n");
    if (!(e instanceof StepFailure)) throw e;
    const tail = e.output.trimEnd().split("\n").slice(-20).join("\n");
    throw new EkaError(
      "E_BUILD_FAILED",
      `${ir.name}-${ir.version}: step '${e.stepId}' failed with exit code ${e.exitCode}${tail ? `\n${indent(tail)}` : ""}\nFull log: ${where} (or 'eka log ${storePath}')`,
      { storePath, pid: node.pid, log: where },
    );
  } finally {
    sandbox.dispose(keepOut);
  }
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  | ${l}`)
    .join("\n");
}
