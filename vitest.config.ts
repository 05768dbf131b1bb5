import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The core's generated modules (schema, templates, validator) before anything imports them,
    // and the Node host installed in every worker, as the package root and the CLI do.
    globalSetup: ["test/setup/gen_assets.ts"],
    setupFiles: ["test/setup/node_host.ts"],
  },
});
