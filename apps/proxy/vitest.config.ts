import { defineProject, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: "@courier/proxy",
      // e2e tests spawn the built `courier` binary; build it (incrementally) once first.
      globalSetup: ["test/e2e/harness/global-setup.ts"],
      testTimeout: 60_000,
      // Each file starts its own processes; two files at a time keeps a 2-core machine responsive.
      maxWorkers: 2,
      // Vitest runs projects with different maxWorkers in separate groups, and refuses to start
      // (whole-repo `npm test`) unless each group has its own order: the e2e tests run last.
      sequence: { groupOrder: 1 },
    },
  }),
);
