import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // Integration tests start real daemons against real services; generous, not a timing assertion.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores: integration files run one at a time so their daemons don't starve each other.
    fileParallelism: false,
    reporters: ['default'],
  },
});
