// The bootstrap chain as declared in bootstrap/chain.toml: which atom rebuilds the C runtime from
// source (stage 1) and which package set is then built against it (stage 2). Plain data, checked
// key by key; running it is the CLI's (src/cli/bootstrap.node.ts).
import { parse, TomlError } from "smol-toml";
import { EkaError } from "../errors.ts";

export const CHAIN_FILE = "chain.toml";

export interface ChainSpec {
  file: string;
  /** Stage 1: an atom directory relative to the chain file; built with the seed. */
  stage1: { atom: string; checks: "wasi-libc" };
  /** Stage 2: a directory of atoms built with `--<provide>=<choice>` (the stage-1 libc). */
  stage2: { set: string; provide: string; choice: string; skip: Record<string, string> };
}

/** Parses chain.toml; E_CHAIN names the file, the key and what it should hold. */
export function parseChain(text: string, file: string): ChainSpec {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) throw new EkaError("E_CHAIN", `${file}:${e.line}:${e.column}: not valid TOML: ${e.message.split("\n")[0]}`);
    throw e;
  }
  const table = (v: unknown, key: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new EkaError("E_CHAIN", `${file}: [${key}] must be a table; see bootstrap/README.md`);
    return v as Record<string, unknown>;
  };
  const str = (t: Record<string, unknown>, key: string, what: string): string => {
    const v = t[key.split(".").pop() as string];
    if (typeof v !== "string" || v === "") throw new EkaError("E_CHAIN", `${file}: ${key} must be ${what}`);
    return v;
  };
  for (const k of Object.keys(doc)) if (k !== "stage1" && k !== "stage2") throw new EkaError("E_CHAIN", `${file}: unknown table [${k}]; the chain has [stage1] and [stage2]`);
  const s1 = table(doc.stage1, "stage1");
  const s2 = table(doc.stage2, "stage2");
  const checks = str(s1, "stage1.checks", `the check set to run on the stage-1 output ("wasi-libc")`);
  if (checks !== "wasi-libc") throw new EkaError("E_CHAIN", `${file}: stage1.checks = "${checks}" is not a check set eka has; use "wasi-libc"`);
  const provide = str(s2, "stage2.provide", `the [provide] name stage 1 answers, e.g. "libc"`);
  const skipT = s2.skip === undefined ? {} : table(s2.skip, "stage2.skip");
  const skip: Record<string, string> = {};
  for (const [k, v] of Object.entries(skipT)) {
    if (typeof v !== "string" || !v) throw new EkaError("E_CHAIN", `${file}: stage2.skip.${k} must be the reason the package is left out, as a string`);
    skip[k] = v;
  }
  return {
    file,
    stage1: { atom: str(s1, "stage1.atom", "a directory of an atom, relative to the chain file"), checks },
    stage2: { set: str(s2, "stage2.set", "a directory of atoms, relative to the chain file"), provide, choice: str(s2, "stage2.choice", `the choice naming stage 1, e.g. "wasi-libc"`), skip },
  };
}
