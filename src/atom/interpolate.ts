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
 * position, listing what is available (`available` names the variables for the message).
 */
export function interpolate(s: string, vars: Vars, site: Site, available: string[]): string {
  return s.replace(REF, (whole, escape: string, name: string, index: number) => {
    if (escape) return whole.slice(1);
    const v = vars(name.trim());
    if (v !== undefined) return v;
    const list = available.length ? `; available here: ${available.map((a) => "${" + a + "}").join(", ")}` : "";
    // +1 for the opening quote of a basic string, so the column points at the `$`.
    throw manifestError(
      "E_MANIFEST_INTERPOLATION",
      site,
      `cannot resolve '\${${name}}' in '${s}'${list}. Fix the name, or write '$\${' for a literal '\${'`,
      "value",
      index + 1,
    );
  });
}
