// pid = BLAKE3 of the RFC 8785 canonical JSON of a node's IR, with each input node replaced by its
// store path (which carries that input's pid), so a change anywhere below changes the pid above.
import { canonicalize } from "json-canonicalize";
import { EkaError } from "../errors.ts";
import { digestOf, type Digest } from "../store/digest.ts";
import { isStorePath, makeStorePath, nameProblem, STORE_DIR } from "../store/store-path.ts";
import { initBlake3 } from "../util/blake3.ts";
import { parseHash } from "./hash.ts";
import { IR_VERSION, SEED_LLVM_TOOL, SEED_TOOL_PREFIX, type InputRef, type PackageIR } from "./types.ts";

export { STORE_DIR, isStorePath };

/** Must be awaited once before pidOf/storePathOf. */
export const initIR = initBlake3;

// IR nodes are treated as immutable once hashed; the memo makes a no-op over a big graph cheap.
const canonMemo = new WeakMap<PackageIR, string>();
const pidMemo = new WeakMap<PackageIR, Digest>();
const pathMemo = new WeakMap<PackageIR, string>();

const hashing = new Set<PackageIR>();

export function canonicalIR(ir: PackageIR): string {
  let c = canonMemo.get(ir);
  if (c === undefined) {
    if (hashing.has(ir)) throw new EkaError("E_IR_CYCLE", `package '${ir.name}' depends on itself through its inputs`);
    hashing.add(ir);
    try {
      const inputs: Record<string, string> = {};
      for (const [k, v] of Object.entries(ir.inputs)) inputs[k] = typeof v === "string" ? v : storePathOf(v);
      c = canonicalize({ ...ir, inputs });
    } finally {
      hashing.delete(ir);
    }
    canonMemo.set(ir, c);
  }
  return c;
}

/** The package id: BLAKE3 of canonicalIR(ir). */
export function pidOf(ir: PackageIR): Digest {
  let p = pidMemo.get(ir);
  if (p === undefined) {
    p = digestOf(new TextEncoder().encode(canonicalIR(ir)));
    pidMemo.set(ir, p);
  }
  return p;
}

/** The store's path for the pid: `/nix/store/<first 160 bits of the pid, nixbase32>-<name>-<version>`. */
export function storePathOf(ir: PackageIR): string {
  let p = pathMemo.get(ir);
  if (p === undefined) {
    const name = `${ir.name}-${ir.version}`;
    const problem = nameProblem(name);
    if (problem) throw new EkaError("E_IR", `package '${ir.name}': '${name}' can't name a store path: ${problem}`);
    p = makeStorePath(pidOf(ir), name);
    pathMemo.set(ir, p);
  }
  return p;
}

/** The package nodes among an IR's inputs (not the plain store paths). */
export function inputNodes(ir: PackageIR): PackageIR[] {
  return Object.values(ir.inputs).filter((v: InputRef): v is PackageIR => typeof v !== "string");
}

/** Steps the builder performs itself, in TypeScript. */
export const BUILTIN_TOOLS = ["builtin:copy"];

const NAME_RE = /^[A-Za-z0-9+_?=][A-Za-z0-9+\-._?=]*$/;

/** Checks the shape an IR must have to be built; throws E_IR naming the package and field. */
export function validateIR(ir: PackageIR): void {
  const where = `package '${ir?.name ?? "?"}'`;
  const fail = (msg: string): never => {
    throw new EkaError("E_IR", `${where}: ${msg}`);
  };
  if (ir.irVersion !== IR_VERSION) fail(`irVersion is ${String(ir.irVersion)}, this eka reads ${IR_VERSION}`);
  if (!NAME_RE.test(ir.name)) fail(`name '${ir.name}' may use only letters, digits and + - . _ ? =`);
  if (!NAME_RE.test(ir.version)) fail(`version '${ir.version}' may use only letters, digits and + - . _ ? =`);
  for (const [k, v] of Object.entries(ir.inputs)) {
    if (typeof v === "string" && !isStorePath(v)) fail(`input '${k}' is '${v}', not a store path`);
  }
  for (const [k, s] of Object.entries(ir.sources)) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(k)) fail(`source name '${k}' must be a plain file name`);
    parseHash(s.hash, `${where}: source '${k}'`);
    if (s.kind === "url" && !/^https?:\/\//.test(s.url)) fail(`source '${k}': url '${s.url}' must be http(s)://`);
    if (s.kind === "git" && !/^[0-9a-f]{40}$/.test(s.rev)) fail(`source '${k}': rev '${s.rev}' must be a full 40-hex commit`);
  }
  const ids = new Set<string>();
  for (const st of ir.steps) {
    if (ids.has(st.id)) fail(`two steps have the id '${st.id}'`);
    ids.add(st.id);
    if (st.args.length === 0) fail(`step '${st.id}' has no args (argv[0] is required)`);
    if (st.tool.startsWith("builtin:") ? !BUILTIN_TOOLS.includes(st.tool) : st.tool.startsWith(SEED_TOOL_PREFIX) ? !("seed" in ir.inputs) : !st.tool.startsWith("/")) {
      fail(`step '${st.id}': tool '${st.tool}' must be ${SEED_LLVM_TOOL} (with a 'seed' input), ${BUILTIN_TOOLS.join(", ")}, or an absolute guest path of a .wasm file`);
    }
  }
  for (const st of ir.steps) {
    for (const d of st.deps ?? []) if (!ids.has(d)) fail(`step '${st.id}' depends on unknown step '${d}'`);
  }
  if (!ir.outputs.includes("out")) fail(`outputs must include "out"`);
}
