import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'connectors/**/*.test.ts', 'plugins/**/*.test.ts', 'tests/**/*.test.ts'],
    globalSetup: ['tests/build-hub.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files share one Redis and one PostgreSQL; each test uses its own prefix/schema, but two cores are all we have.
    maxWorkers: 2,
  },
});
