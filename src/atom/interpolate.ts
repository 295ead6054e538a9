// `${name}` in manifest strings. `$${` writes a literal `${`.
import { manifestError, type Site } from "./errors.ts";

/** Looks a variable up; undefined means "not defined here". */
export type Vars = (name: string) => string | undefined;

const REF = /\$(\$?)\{([^}]*)\}/g;

export function hasInterpolation(s: string): boolean {
  return /\$\{/.test(s.replace(/\$\$\{/g, ""));
}

/**
 * Replaces every `${name}`; an unknown name throws E_MANIFEST_INTERPOLATION at the value's
 * position, listing what is available (`available` names the variables for the message). A `${`
 * with no closing `}` is the same error at the `$`, not a literal: it is almost always a typo.
 */
export function interpolate(s: string, vars: Vars, site: Site, available: string[]): string {
  // +1 for the opening quote of a basic string, so the column points at the `$`.
  const fail = (message: string, index: number) => manifestError("E_MANIFEST_INTERPOLATION", site, message, "value", index + 1);
  const open = unterminated(s);
  if (open >= 0) throw fail(`'\${' without a closing '}' in '${s}'. Close it ('\${name}'), or write '$\${' for a literal '\${'`, open);
  return s.replace(REF, (whole, escape: string, name: string, index: number) => {
    if (escape) return whole.slice(1);
    const v = vars(name.trim());
    if (v !== undefined) return v;
    const list = available.length ? `; available here: ${available.map((a) => "${" + a + "}").join(", ")}` : "";
    throw fail(`cannot resolve '\${${name}}' in '${s}'${list}. Fix the name, or write '$\${' for a literal '\${'`, index);
  });
}

/** Index of the first `${` (not `$${`) that no `}` closes, or -1. */
function unterminated(s: string): number {
  for (let i = s.indexOf("${"); i >= 0; i = s.indexOf("${", i + 2)) {
    const escaped = i > 0 && s[i - 1] === "$";
    const close = s.indexOf("}", i + 2);
    if (close < 0) return escaped ? -1 : i;
    if (!escaped) i = close - 1;
  }
  return -1;
}
