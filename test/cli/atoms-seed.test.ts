// src/cli/atoms.ts computes the seed's store path without loading build/seed.ts (a no-op build
// must stay light); it has to agree with the builder's, or every pid would name another seed.
import { expect, it } from "vitest";
import { seedStorePath } from "../../src/build/seed.ts";
import { seedVersion } from "../../src/build/seed.node.ts";
import { seedPath } from "../../src/cli/atoms.ts";

it("names the same seed store path as build/seed.ts", async () => {
  expect(await seedPath()).toBe(seedStorePath(seedVersion()));
});
