import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start their own engines (dynalite, fauxqs, the Connect simulator) on 127.0.0.1.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on local servers, timeouts and child processes, not the CPU: on 2 cores the default
    // (cores - 1, so one file at a time) leaves the machine idle.
    maxWorkers: 3,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_DEV: 'false',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '1',
      // One id per run: the test files that need the built packages build them once (test/package/buildOnce.ts).
      CTO_TEST_RUN_ID: `${process.pid}-${Date.now()}`,
    },
  },
});
