import { defineConfig } from 'vitest/config';

// .ci/run sets VITEST_JSON_REPORT so that it can print the plain "N passed, N failed" line CI reads.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // tests/global-setup.ts builds the CLI bundle once when stale (the tests' qctl processes start from
    // it, not through tsx); tests/kube-real/global-setup.ts runs the real API server tier (one line
    // when skipped, instances wiped at the end).
    globalSetup: ['tests/global-setup.ts', 'tests/kube-real/global-setup.ts'],
    // PGlite, redis-server, Prometheus and Chromium start per file; the machine has 2 cores.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Generous: a timeout is a hang detector, and a machine at load 8+ runs a healthy test several times slower.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
  },
});
