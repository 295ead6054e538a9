// Node-only: `eka ld` — the seed's wasm-ld on the host's current directory.
import { seedToolCommand } from "../seed-tool.ts";

export const { summary, help, run } = seedToolCommand({
  name: "ld",
  tool: "wasm-ld",
  what: "Link WebAssembly objects with the seed's wasm-ld",
  example: "eka ld -o prog.wasm crt1.o main.o -lc",
});
