// Node-only: `eka ar` — the seed's llvm-ar on the host's current directory.
import { seedToolCommand } from "../seed-tool.ts";

export const { summary, help, run } = seedToolCommand({
  name: "ar",
  tool: "ar",
  what: "Create and edit static libraries with the seed's llvm-ar",
  example: "eka ar rcs libshapes.a area.o greet.o",
});
