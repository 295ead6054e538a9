/** The WASI preview1 host (stub, filled in next). */
import { EkaError } from "../errors.ts";
import type { RunOptions, RunResult } from "./options.ts";

export class WasiHost {
  readonly imports: WebAssembly.Imports = { wasi_snapshot_preview1: {} };
  constructor(readonly opts: RunOptions) {}
  start(_instance: WebAssembly.Instance): RunResult {
    throw new EkaError("E_UNIMPLEMENTED", "WasiHost is not implemented yet");
  }
}
export function checkImports(_module: WebAssembly.Module): void {}
export async function runWasi(module: WebAssembly.Module, opts: RunOptions): Promise<RunResult> {
  const host = new WasiHost(opts);
  checkImports(module);
  return host.start(await WebAssembly.instantiate(module, host.imports));
}
