import { defineProject } from "vitest/config";

// Tests run against workspace sources through the `@courier/source` export condition,
// so nothing needs to be built first.
export default defineProject({
  ssr: { resolve: { conditions: ["@courier/source", "module", "node", "development|production"] } },
  resolve: { conditions: ["@courier/source", "module", "node", "development|production"] },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
