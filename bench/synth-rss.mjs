// Preloaded into each benchmarked process (node --import): on exit, writes the process's
// peak resident set size (KiB) and CPU time (user + system, microseconds) from getrusage
// to $QCTL_BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

const target = process.env.QCTL_BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}`);
  });
}
