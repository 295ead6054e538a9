/**
 * Where each key of a TOML document sits, so semantic errors (unknown key, wrong type) can name a
 * line and column. smol-toml gives positions only for syntax errors, so this is a light line scan
 * of a document that already parsed: table headers, `key = value` lines, and the keys of inline
 * tables. It is not a TOML parser and need not be one: on anything it does not understand it
 * records nothing, and the caller falls back to the nearest enclosing key it knows.
 */

/** 1-based line and column. */
export interface Pos {
  line: number;
  column: number;
}

export interface KeyPos {
  /** Position of the key itself. */
  key: Pos;
  /** Position of the first character of the value (for a table header: of the header). */
  value: Pos;
}

/** Dotted key path (segments joined by "\u0000") → position. */
export type PositionMap = Map<string, KeyPos>;

export const pathKey = (path: readonly string[]): string => path.join("\u0000");

/** The position of `path`, or of its nearest ancestor that has one, or line 1 column 1. */
export function lookup(map: PositionMap, path: readonly string[], which: "key" | "value" = "key"): Pos {
  for (let n = path.length; n > 0; n--) {
    const p = map.get(pathKey(path.slice(0, n)));
    if (p) return n === path.length ? p[which] : p.key;
  }
  return { line: 1, column: 1 };
}

export function scanPositions(source: string): PositionMap {
  const map: PositionMap = new Map();
  const lines = source.split(/\r?\n/);
  let table: string[] = [];
  const arrayCounts = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    const lineNo = i + 1;
    let j = skipWs(text, 0);
    if (j >= text.length || text[j] === "#") continue;
    if (text[j] === "[") {
      const isArray = text[j + 1] === "[";
      const start = j + (isArray ? 2 : 1);
      const keys = readKeys(text, start);
      if (!keys) continue;
      table = keys.path;
      if (isArray) {
        // [[a.b]] entries become a.b.<index>, as in the parsed value.
        const k = pathKey(table);
        const n = arrayCounts.get(k) ?? 0;
        arrayCounts.set(k, n + 1);
        table = [...table, String(n)];
      }
      const pos = { line: lineNo, column: j + 1 };
      // [a.b] also defines the table a where it is first seen implicitly.
      for (let n = 1; n < table.length; n++) if (!map.has(pathKey(table.slice(0, n)))) map.set(pathKey(table.slice(0, n)), { key: pos, value: pos });
      map.set(pathKey(table), { key: pos, value: pos });
      continue;
    }
    const path = recordPair(text, j, lineNo, table, map);
    if (!path) continue;
    j = path.value;
    // Arrays record each element (path + index), over as many lines as they span; multi-line
    // strings and inline tables: skip lines until the string closes / brackets balance.
    i = text[j] === "[" || text[j] === "{" ? scanBrackets(lines, i, j, text[j] === "[" ? path.path : null, map) : skipLongString(lines, i, j);
  }
  return map;
}

/** Records `key = value` starting at `j`; returns the key path and the index where the value starts. */
function recordPair(text: string, j: number, lineNo: number, table: string[], map: PositionMap): { path: string[]; value: number } | null {
  const keys = readKeys(text, j, "=");
  if (!keys) return null;
  const v = skipWs(text, keys.end + 1);
  const path = [...table, ...keys.path];
  const key = { line: lineNo, column: j + 1 };
  // a.b = 1 also defines the table a where it is first seen.
  for (let n = table.length + 1; n < path.length; n++) if (!map.has(pathKey(path.slice(0, n)))) map.set(pathKey(path.slice(0, n)), { key, value: key });
  map.set(pathKey(path), { key, value: { line: lineNo, column: v + 1 } });
  if (text[v] === "{") scanInline(text, v, lineNo, path, map);
  return { path, value: v };
}

/**
 * Skips the array or inline table opening at `lines[i][open]` to the line where it closes. For an
 * array with a `path`, element n is recorded as `[...path, n]`; nested values are one element.
 */
function scanBrackets(lines: string[], i: number, open: number, path: string[] | null, map: PositionMap): number {
  let line = i;
  let text = lines[line] ?? "";
  let j = open + 1;
  let n = 0;
  let depth = 1;
  let expectElement = true;
  for (;;) {
    while (j < text.length) {
      const c = text[j] as string;
      if (c === "#") break;
      if (c === " " || c === "\t") {
        j++;
        continue;
      }
      if (path && depth === 1 && expectElement && c !== "]" && c !== ",") {
        map.set(pathKey([...path, String(n++)]), { key: { line: line + 1, column: j + 1 }, value: { line: line + 1, column: j + 1 } });
        expectElement = false;
      }
      if (text.startsWith('"""', j) || text.startsWith("'''", j)) {
        const q = text.slice(j, j + 3);
        let close = text.indexOf(q, j + 3);
        while (close < 0 && line + 1 < lines.length) {
          text = lines[++line] ?? "";
          close = text.indexOf(q);
        }
        if (close < 0) return line;
        j = close + 3;
        continue;
      }
      if (c === '"' || c === "'") {
        j = skipString(text, j);
        continue;
      }
      if (c === "[" || c === "{") depth++;
      else if (c === "]" || c === "}") {
        if (--depth === 0) return line;
      } else if (c === "," && depth === 1) expectElement = true;
      j++;
    }
    if (line + 1 >= lines.length) return line;
    text = lines[++line] ?? "";
    j = 0;
  }
}

/** Keys of an inline table `{ a = 1, b = { c = 2 } }` on one line. */
function scanInline(text: string, open: number, lineNo: number, path: string[], map: PositionMap): number {
  let j = open + 1;
  while (j < text.length) {
    j = skipWs(text, j);
    if (text[j] === "}") return j + 1;
    if (text[j] === ",") {
      j++;
      continue;
    }
    const keys = readKeys(text, j, "=");
    if (!keys) return text.length;
    const v = skipWs(text, keys.end + 1);
    const sub = [...path, ...keys.path];
    map.set(pathKey(sub), { key: { line: lineNo, column: j + 1 }, value: { line: lineNo, column: v + 1 } });
    j = text[v] === "{" ? scanInline(text, v, lineNo, sub, map) : skipValue(text, v);
  }
  return j;
}

/** Index just after a scalar or array value on one line. */
function skipValue(text: string, j: number): number {
  let depth = 0;
  while (j < text.length) {
    const c = text[j];
    if (c === '"' || c === "'") j = skipString(text, j);
    else {
      if (c === "[" || c === "{") depth++;
      else if (c === "]" || c === "}") {
        if (depth === 0) return j;
        depth--;
      } else if (c === "," && depth === 0) return j;
      j++;
    }
  }
  return j;
}

function skipString(text: string, j: number): number {
  const q = text[j];
  let k = j + 1;
  while (k < text.length && text[k] !== q) k += q === '"' && text[k] === "\\" ? 2 : 1;
  return k + 1;
}

/** The line where a value starting at `lines[i][start]` ends, for a multi-line string. */
function skipLongString(lines: string[], i: number, start: number): number {
  const text = lines[i] ?? "";
  if (!text.startsWith('"""', start) && !text.startsWith("'''", start)) return i;
  const q = text.slice(start, start + 3);
  if (text.indexOf(q, start + 3) >= 0) return i;
  let line = i;
  while (++line < lines.length && !(lines[line] ?? "").includes(q));
  return line;
}

/** Reads a dotted key (bare or quoted segments) up to `stop` (or `]`); null if none. */
function readKeys(text: string, j: number, stop = "]"): { path: string[]; end: number } | null {
  const path: string[] = [];
  for (;;) {
    j = skipWs(text, j);
    const c = text[j];
    if (c === '"' || c === "'") {
      const end = skipString(text, j);
      const raw = text.slice(j + 1, end - 1);
      path.push(c === '"' ? raw.replace(/\\(.)/g, "$1") : raw);
      j = end;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(j));
      if (!m) return null;
      path.push(m[0]);
      j += m[0].length;
    }
    j = skipWs(text, j);
    if (text[j] === ".") {
      j++;
      continue;
    }
    if (text[j] === stop) return { path, end: j };
    return null;
  }
}

function skipWs(text: string, j: number): number {
  while (j < text.length && (text[j] === " " || text[j] === "\t")) j++;
  return j;
}
