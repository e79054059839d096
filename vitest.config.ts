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
    // PGlite, redis-server, Prometheus and Chromium start per file. On 2 cores a third fork pays:
    // many files wait on schedules and child processes rather than compute (tests/load, seed and
    // canary: 162 s with 2 forks, 121 s with 3, 106 s with 4, the same CPU). With the real API
    // server tier two: its files each start etcd and kube-apiserver, and three such starts at
    // once on 2 cores failed (an apiserver exited during start; a scheduler event came too late).
    pool: 'forks',
    poolOptions: { forks: { maxForks: process.env.QCTL_TEST_KUBE_ASSETS ? 2 : 3, minForks: 1 } },
    // Generous: a timeout is a hang detector, and a machine at load 8+ runs a healthy test several times slower.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
  },
});
