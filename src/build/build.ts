import { EkaError } from "../errors.ts";
import type { PackageIR } from "../ir/types.ts";
import type { BuildOptions, BuildResult } from "./types.ts";

/** Builds every root and its missing inputs; returns one result per root, in order. */
export async function buildGraph(roots: PackageIR[], opts: BuildOptions): Promise<BuildResult[]> {
  void roots;
  void opts;
  throw new EkaError("E_UNIMPLEMENTED", "buildGraph is not implemented yet");
}
