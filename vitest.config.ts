import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: {
      // Tests assert on behaviour, not log lines; a test that inspects logs raises the level itself.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      // Said once in README (supported versions): on Node.js 20 every process the tests start would print it.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // The bridge keeps to Slack's pace per channel (one post a second, SLACK_POST_PACE); the tests post dozens to one
      // channel and are about other things. test/shared/slack/shared-pace.test.ts and the paced tests use Slack's pace.
      SLACK_POST_PACE: '1000,1000',
    },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
