// Node-only: `eka c++` — the seed's clang++ on the host's current directory.
import { seedToolCommand } from "../seed-tool.ts";

export const { summary, help, run } = seedToolCommand({
  name: "c++",
  tool: "clang++",
  driver: "clang++",
  what: "Compile and link C++ with the seed clang++ (wasm32-wasip1)",
  example: "eka c++ -O2 -o hello.wasm hello.cpp",
});
