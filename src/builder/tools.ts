// A step's tool: a `builtin:` done in TypeScript, a tool a toolchain names (`seed:llvm`, the seed's
// module in the package's `seed` input), or the guest path of a .wasm under an input, /build or
// $out. Its key is its identity in the action key: the path for an immutable store path, the path
// and content digest for a file the build made.
import { EkaError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { resolveNamedTool } from "../toolchains/hooks.ts";
import { digestMatches } from "./action-cache.ts";
import type { ExecResult, ModuleRef } from "./executor.ts";
import type { Locate, PackageSandbox } from "./package-sandbox.ts";
import { copyInto, join, type WorkDir } from "./sandbox.ts";

export type Tool = { builtin: string; key: string } | { module: ModuleRef; key: string };

export function resolveTool(tool: string, sandbox: PackageSandbox, store: Store): Tool {
  // validateIR admits only the builtins eka has (builtin:copy).
  if (tool.startsWith("builtin:")) return { builtin: tool, key: tool };
  const named = resolveNamedTool(tool, sandbox.inputs, sandbox.name);
  if (named) return storeModule(store, named.storePath, named.path);
  const g = sandbox.sub(tool);
  const at = sandbox.locate(g);
  if (!at) throw new EkaError("E_IR", `package ${sandbox.name}: tool '${tool}' is not in an input, /build or $out`);
  if ("store" in at) return storeModule(store, at.store, g.slice(at.store.length + 1));
  const reader = at.dir.reader();
  const key = `${g}#${digestMatches(reader, at.rel)}`;
  return { key, module: { key, bytes: () => reader.readFile(at.rel) } };
}

function storeModule(store: Store, storePath: string, rel: string): Tool {
  const key = `${storePath}/${rel}`;
  return { key, module: { key, bytes: () => store.readFile(storePath, rel) } };
}

/**
 * `builtin:copy [--base DIR] SRC… DSTDIR`: copies files keeping their path relative to DIR. Like a
 * command, it reads only what the step declared (`declared`), so its action key covers it.
 */
export function builtinCopy(args: string[], locate: Locate, declared: (at: { dir: WorkDir; rel: string }) => boolean): ExecResult {
  const rest = args.slice(1);
  let base = "";
  if (rest[0] === "--base") {
    base = rest[1] ?? "";
    rest.splice(0, 2);
  }
  const dst = rest.pop();
  const fail = (msg: string): ExecResult => ({ exitCode: 1, stdout: new Uint8Array(), stderr: new TextEncoder().encode(`copy: ${msg}\n`) });
  const to = dst ? locate(dst) : null;
  if (!to || !("dir" in to)) return fail(`destination '${dst}' must be under /build or $out`);
  for (const s of rest) {
    const from = locate(s);
    if (!from || !("dir" in from)) return fail(`source '${s}' must be under /build or $out`);
    if (!declared(from)) return fail(`source '${s}' is not among the step's declared inputs`);
    if (!from.dir.reader().stat(from.rel)) return fail(`'${s}' does not exist`);
    const rel = base && s.startsWith(base + "/") ? s.slice(base.length + 1) : (s.split("/").pop() ?? s);
    copyInto(from.dir.reader(), from.rel, to.dir, join(to.rel, rel));
  }
  return { exitCode: 0, stdout: new Uint8Array(), stderr: new Uint8Array() };
}
