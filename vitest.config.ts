import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: {
      // Tests assert on behaviour, not log lines; a test that inspects logs raises the level itself.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
    },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
