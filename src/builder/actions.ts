// Action keys: a step's identity for the cache — tool, args, env, cwd and the digest of the
// inputs it declared. The package's own store path is written as `$out` in the key, so a step
// whose inputs did not change hits the cache although the package's pid (and $out) did.
import { canonicalize } from "json-canonicalize";
import type { TreeReader } from "../store/types.ts";
import { blake3, toHex } from "../util/blake3.ts";

export const ACTION_KEY_VERSION = 1;

export interface ActionKeyParts {
  tool: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Declared inputs, each with the digest of what it matched. */
  inputs: [string, string][];
  outputs: string[];
}

export function actionKey(parts: ActionKeyParts, outPath: string): string {
  const j = canonicalize({ v: ACTION_KEY_VERSION, ...parts });
  return toHex(blake3(new TextEncoder().encode(j.split(outPath).join("$out"))));
}

/**
 * Digest of what `pattern` matches in `tree` (relative paths; a pattern may end in a glob segment
 * such as `**\/*.h` or `*.c`). Paths and contents both count; a missing exact path counts as
 * missing, so creating it later changes the key.
 */
export function digestMatches(tree: TreeReader, pattern: string): string {
  const star = pattern.search(/[*?[]/);
  const parts: string[] = [];
  if (star < 0) {
    walk(tree, pattern, parts, () => true);
  } else {
    const slash = pattern.lastIndexOf("/", star);
    const base = slash < 0 ? "" : pattern.slice(0, slash);
    const re = globRegExp(slash < 0 ? pattern : pattern.slice(slash + 1));
    walk(tree, base, parts, (rel) => re.test(rel), base);
  }
  return toHex(blake3(new TextEncoder().encode(parts.join("\n"))));
}

function walk(tree: TreeReader, path: string, out: string[], keep: (rel: string) => boolean, base = path): void {
  const st = tree.stat(path);
  if (!st) {
    if (path === base) out.push(`missing ${path}`);
    return;
  }
  const rel = path === base ? "" : path.slice(base === "" ? 0 : base.length + 1);
  if (st.kind === "directory") {
    for (const n of tree.readdir(path).sort()) walk(tree, path === "" ? n : `${path}/${n}`, out, keep, base);
  } else if (rel === "" || keep(rel)) {
    const d = st.kind === "symlink" ? `->${tree.readlink(path)}` : `${st.executable ? "x" : "f"}:${toHex(blake3(tree.readFile(path)))}`;
    out.push(`${rel} ${d}`);
  }
}

function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      // `**/` matches zero or more directories.
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
