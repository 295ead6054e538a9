/** Naming the function a trap happened in, from V8's stack and the module's name section. */

/**
 * The frames of an error's stack as V8 prints them. Read through a temporary prepareStackTrace
 * (V8 formats lazily), since test runners and source-map tools replace the wasm frame format.
 */
export function stackFrames(e: Error): string[] {
  const E = Error as unknown as { prepareStackTrace?: (err: Error, frames: { toString(): string }[]) => unknown };
  const prev = E.prepareStackTrace;
  let stack: unknown;
  try {
    E.prepareStackTrace = (_err, frames) => frames.map((f) => f.toString());
    stack = e.stack;
  } finally {
    E.prepareStackTrace = prev;
  }
  return Array.isArray(stack) ? (stack as string[]) : String(stack ?? "").split("\n");
}

/** Function index → name, from the module's "name" custom section (subsection 1). */
const nameCache = new WeakMap<WebAssembly.Module, Map<number, string>>();
export function functionNames(module: WebAssembly.Module): Map<number, string> {
  const cached = nameCache.get(module);
  if (cached) return cached;
  const names = new Map<number, string>();
  for (const sec of WebAssembly.Module.customSections(module, "name")) {
    const b = new Uint8Array(sec);
    let p = 0;
    const uleb = () => {
      let r = 0;
      let shift = 0;
      for (;;) {
        const byte = b[p++] ?? 0;
        r += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if (!(byte & 0x80)) return r;
      }
    };
    while (p < b.length) {
      const id = b[p++];
      const size = uleb();
      const end = p + size;
      if (id === 1) {
        const count = uleb();
        for (let i = 0; i < count && p < end; i++) {
          const idx = uleb();
          const len = uleb();
          names.set(idx, new TextDecoder().decode(b.subarray(p, p + len)));
          p += len;
        }
      }
      p = end;
    }
  }
  nameCache.set(module, names);
  return names;
}
