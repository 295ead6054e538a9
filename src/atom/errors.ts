// Manifest and lock errors name the file, line and column, what was expected, and a fix.
import { EkaError } from "../errors.ts";
import { lookup, type Pos, type PositionMap } from "./positions.ts";

/**
 * Stable codes, one per kind of problem:
 * E_MANIFEST_SYNTAX (not TOML), E_MANIFEST_KEY (unknown key), E_MANIFEST_TYPE (wrong type or shape),
 * E_MANIFEST_MISSING (a required key), E_MANIFEST_SEMVER (bad version or range),
 * E_MANIFEST_INTERPOLATION (a `${…}` that names nothing or is not closed), E_DEP_CYCLE (atoms depending
 * on each other), E_PATH_OUTSIDE (a path leaving the atom's tree or repository), E_SOURCE (a listed
 * source file that is not there).
 */
export type ManifestErrorCode =
  | "E_MANIFEST_SYNTAX"
  | "E_MANIFEST_KEY"
  | "E_MANIFEST_TYPE"
  | "E_MANIFEST_MISSING"
  | "E_MANIFEST_SEMVER"
  | "E_MANIFEST_INTERPOLATION"
  | "E_DEP_CYCLE"
  | "E_PATH_OUTSIDE"
  | "E_SOURCE";

/** Where in which file; `path` is the key path inside the document. */
export interface Site {
  file: string;
  positions: PositionMap;
  path: readonly string[];
}

export function manifestError(code: ManifestErrorCode, at: Site | { file: string; pos: Pos }, message: string, which: "key" | "value" = "key", offset = 0): EkaError {
  const pos = "pos" in at ? at.pos : lookup(at.positions, at.path, which);
  const column = pos.column + offset;
  return new EkaError(code, `${at.file}:${pos.line}:${column}: ${message}`, { file: at.file, line: pos.line, column });
}

/** "[srcs.main]" / "key 'atom.version'" for messages. */
export function describePath(path: readonly string[]): string {
  return `'${path.join(".")}'`;
}
