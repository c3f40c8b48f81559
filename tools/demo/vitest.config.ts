import { defineProject, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: "@courier/demo",
      // The test spawns the built demo (and it the built `courier`); build them once first.
      globalSetup: ["test/global-setup.ts"],
      testTimeout: 60_000,
    },
  }),
);
