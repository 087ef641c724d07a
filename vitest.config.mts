import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{core,native,worker,cli}/{src,lib}/**/*.test.ts", "web/src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "**/.next/**"],
    // Integration files each run a whole Berth instance; two at a time fit this 2-core machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
