import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration tests start real daemons against real services: generous timeouts, and no
    // timing assertions anywhere (speed belongs in `npm run bench`).
    testTimeout: 180_000,
    hookTimeout: 180_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/global-setup.ts', 'tests/global-setup-alertmanager.ts'],
          // Two cores: one integration file at a time so their daemons don't starve each other.
          fileParallelism: false,
        },
      },
    ],
  },
});
