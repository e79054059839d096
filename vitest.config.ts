import { defineConfig } from 'vitest/config';

// .ci/run sets VITEST_JSON_REPORT so that it can print the plain "N passed, N failed" line CI reads.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The real API server tier (tests/kube-real): one line when skipped, instances wiped at the end.
    globalSetup: ['tests/kube-real/global-setup.ts'],
    // PGlite, redis-server, Prometheus and Chromium start per file; the machine has 2 cores.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
  },
});
