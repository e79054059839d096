import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWorkerCount, workersWarning } from '../../bin/load/command.js';
import { capLocalWorkers, loadCores } from '../../bin/load/worker-cap.js';
import { loadReportSchema } from '../../bin/load/report-schema.js';
import { runQctl } from '../helpers/cli.js';
import { repoPath } from '../helpers/quotes-fixture.js';
import { startTarget, type Target } from './fixtures/target.js';

let target: Target;
let dir: string;
/**
 * The fixture target is on this machine (loopback), so local threads are capped at half the
 * cores: the tests of merging say how many cores to plan for, so that their 2-3 threads run on
 * any machine (QCTL_LOAD_CORES, read from the environment like the core count itself).
 */
const EIGHT_CORES = { QCTL_LOAD_CORES: '8' };
beforeAll(async () => {
  target = await startTarget();
  dir = mkdtempSync(join(tmpdir(), 'qctl-load-workers-'));
});
afterAll(async () => {
  await target?.stop();
});

describe('qctl load --workers N (threads)', () => {
  it('splits the rate over the workers and merges their requests into one report, as the server counted them', async () => {
    const before = (await target.stats()).count;
    const html = join(dir, 'workers.html');
    const result = await runQctl(
      [
        'load',
        `${target.url}/`,
        '--workers',
        '3',
        '--rate',
        '150',
        '--duration',
        '2s',
        '--slo',
        // Gates load cannot move (a latency or achieved-rate gate fails on a busy machine): the verdict is still merged from every thread.
        'errors<1%,dropped<1%',
        '--output',
        'json',
        '--report',
        html,
      ],
      { env: EIGHT_CORES },
    );
    expect(result.stderr).toMatch(/150 req\/s for 2s from 3 workers/);
    expect(result.stderr).not.toMatch(/asked/);
    expect(result.exitCode).toBe(0);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.requests.scheduled).toBe(300);
    expect(report.requests.sent).toBe(300);
    expect(report.requests.responses).toBe(300);
    // Warm-up requests are marked and left out of the target's count.
    expect((await target.stats()).count - before).toBe(300);
    expect(report.latencyMs).not.toBeNull();
    expect(report.workers?.count).toBe(3);
    expect(report.workers?.inCluster).toBe(false);
    for (const worker of report.workers!.list) {
      expect(worker).toMatchObject({ targetRate: 50, sent: 100, state: 'complete', note: null });
      // Never faster than its share of the schedule; how close it comes depends on the machine's load.
      expect(worker.achievedRate).toBeGreaterThan(0);
      expect(worker.achievedRate).toBeLessThanOrEqual(50 * 1.02);
      // One shared start instant: every thread began sending at or after it, within the run
      // (a few tens of ms on a quiet machine; a loaded one starts threads later).
      expect(worker.startOffsetMs).toBeGreaterThanOrEqual(0);
      expect(worker.startOffsetMs).toBeLessThan(2000);
    }
    expect(report.series.reduce((sum, s) => sum + s.sent, 0)).toBe(300);
    expect(report.verdict).toBe('pass');
    expect(readFileSync(html, 'utf8')).toMatch(/<h2>Workers<\/h2><p>3 threads;/);
  });

  it('runs a ramp with workers: every step is merged, the knee judged on the merged numbers', async () => {
    // A p99 bound no machine load reaches (at load 8 a step's p99 passed 1 s): this is about merging, not speed.
    const result = await runQctl(['load', `${target.url}/`, '--workers', '2', '--ramp', '20:60:20:1s', '--slo', 'p99<30s,errors<1%'], {
      env: EIGHT_CORES,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^20\/s +\d/m);
    expect(result.stdout).toMatch(/^60\/s +\d/m);
    expect(result.stdout).toMatch(/knee {7}none found: every step up to 60 req\/s met the SLO/);
    expect(result.stdout).toMatch(/^workers {4}2 threads, merged exactly/m);
    // Each worker sends half of every step: 10 + 20 + 30 requests at 20 req/s on average.
    expect(result.stdout).toMatch(/^0 +\d+\.\d\/s +\d+\.\d\/s +60 /m);
  });

  it('stops every worker on Ctrl-C and reports what they sent, marked interrupted', async () => {
    const child = execa(
      'node',
      [repoPath('bin/qctl.mjs'), 'load', `${target.url}/`, '--workers', '2', '--rate', '100', '--duration', '60s', '--output', 'json'],
      { env: { CI: 'true', ...EIGHT_CORES }, reject: false },
    );
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ctrl-C stops')) resolve();
      });
    });
    // The threads start sending about 3 s after they are started.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    child.kill('SIGINT');
    const result = await child;
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.interrupted).toBe(true);
    expect(report.requests.sent).toBeGreaterThan(50);
    expect(report.requests.sent).toBeLessThan(1000);
    expect(report.workers?.list.map((w) => [w.state, w.note])).toEqual([
      ['partial', 'stopped by Ctrl-C'],
      ['partial', 'stopped by Ctrl-C'],
    ]);
    expect(result.exitCode).toBe(0);
  });

  it('fails the verdict when a worker thread dies mid-run, and names it', async () => {
    // The test-only hook crashes worker 1 half a second into its run, as an uncaught error would.
    const result = await runQctl(['load', `${target.url}/`, '--workers', '2', '--rate', '40', '--duration', '2s', '--output', 'json'], {
      env: { QCTL_TEST_LOAD_WORKER_DIES: '1', ...EIGHT_CORES },
    });
    expect(result.exitCode).toBe(1);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.verdict).toBe('fail');
    expect(report.workers!.list[0]).toMatchObject({ state: 'complete', failed: false });
    expect(report.workers!.list[1]).toMatchObject({
      state: 'missing',
      failed: true,
      note: 'worker thread died: injected by QCTL_TEST_LOAD_WORKER_DIES',
    });
    const text = await runQctl(['load', `${target.url}/`, '--workers', '2', '--rate', '40', '--duration', '1s'], {
      env: { QCTL_TEST_LOAD_WORKER_DIES: '0', ...EIGHT_CORES },
    });
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toMatch(/^verdict {4}FAIL \(worker 0 returned no result\)$/m);
  });

  it('caps the threads at half the cores when the target is on this machine, and says so in every report', async () => {
    const before = (await target.stats()).count;
    const html = join(dir, 'capped.html');
    const args = ['load', `${target.url}/`, '--workers', '3', '--rate', '60', '--duration', '1s', '--slo', 'errors<1%,dropped<1%'];
    const result = await runQctl([...args, '--output', 'json', '--report', html], { env: { QCTL_LOAD_CORES: '2' } });
    const note =
      'workers: 1 of 3 asked — the target is on this machine (127.0.0.1) and shares its 2 cores; more threads would take CPU from the target';
    expect(result.stderr).toContain(`qctl load: ${note}\n`);
    // One thread runs as one process: no "from N workers" and no over-cores warning beside the cap.
    expect(result.stderr).toMatch(/60 req\/s for 1s, GET/);
    expect(result.stderr).not.toMatch(/on 2 cores: threads beyond/);
    expect(result.exitCode).toBe(0);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.generator.workersCap).toEqual({ asked: 3, used: 1, cores: 2, host: '127.0.0.1', note: note.slice('workers: '.length) });
    expect(report.workers).toBeNull();
    // The whole schedule still ran, from the one thread.
    expect(report.requests).toMatchObject({ scheduled: 60, sent: 60, responses: 60 });
    expect((await target.stats()).count - before).toBe(60);
    expect(readFileSync(html, 'utf8')).toContain('<td>workers</td><td>1 of 3 asked — the target is on this machine (127.0.0.1)');

    const text = await runQctl(args, { env: { QCTL_LOAD_CORES: '2' } });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain(`\n${note.replace('workers: ', 'workers    ')}\n`);

    // Four cores: two threads for qctl, two for the target.
    const four = await runQctl([...args, '--output', 'json'], { env: { QCTL_LOAD_CORES: '4' } });
    expect(four.exitCode).toBe(0);
    expect(four.stderr).toMatch(/60 req\/s for 1s from 2 workers/);
    const split = loadReportSchema.parse(JSON.parse(String(four.stdout)));
    expect(split.generator.workersCap).toMatchObject({ asked: 3, used: 2, cores: 4 });
    expect(split.workers?.count).toBe(2);
    expect(split.requests.sent).toBe(60);
  });

  it('leaves a run within the cap alone: no cap in the report', async () => {
    const result = await runQctl(['load', `${target.url}/`, '--workers', '2', '--rate', '40', '--duration', '1s', '--output', 'json'], {
      env: { QCTL_LOAD_CORES: '4' },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).not.toMatch(/asked/);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.generator.workersCap).toBeNull();
    expect(report.workers?.count).toBe(2);
  });

  it('refuses a QCTL_LOAD_CORES that is not a core count, sending nothing', async () => {
    const before = (await target.stats()).count;
    const result = await runQctl(['load', `${target.url}/`, '--rate', '10', '--duration', '1s'], { env: { QCTL_LOAD_CORES: 'two' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'qctl: invalid QCTL_LOAD_CORES "two": use a whole number of cores above 0, e.g. QCTL_LOAD_CORES=4, or unset it\n',
    );
    expect((await target.stats()).count).toBe(before);
  });

  it('refuses bad --workers values and in-cluster flags without --in-cluster, sending nothing', async () => {
    const file = join(dir, 'unused.txt');
    writeFileSync(file, 'GET /x\n');
    const cases: [string[], RegExp][] = [
      [['--workers', '0'], /^qctl: invalid --workers "0": use a whole number above 0, e\.g\. --workers 4\n$/],
      [['--workers', '1.5'], /invalid --workers "1\.5": use a whole number above 0/],
      [['--workers', '65'], /invalid --workers "65": at most 64/],
      [['--dry-run'], /--dry-run applies to --in-cluster runs only/],
      [['--image', 'x:1'], /--image applies to --in-cluster runs only, e\.g\. --env dev --in-cluster --workers 4 --image x:1\n$/],
      [
        ['--start-delay', '5s'],
        /--start-delay applies to --in-cluster runs only, e\.g\. --env dev --in-cluster --workers 4 --start-delay 5s\n$/,
      ],
      [['--in-cluster'], /--in-cluster needs --env/],
    ];
    const before = (await target.stats()).count;
    for (const [args, message] of cases) {
      const result = await runQctl(['load', `${target.url}/`, '--rate', '10', '--duration', '1s', ...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect((await target.stats()).count).toBe(before);
  });
});

describe('the local threads of a target on this machine', () => {
  it('are capped at half the cores (at least one) for every loopback form', () => {
    for (const origin of [
      'http://127.0.0.1:8080',
      'http://127.3.4.5',
      'http://[::1]:8080',
      'http://localhost:3000',
      'http://api.localhost',
      'http://quotes.127.0.0.1.nip.io',
    ]) {
      expect(capLocalWorkers(2, 2, [origin]).used, origin).toBe(1);
      expect(capLocalWorkers(8, 8, [origin]).used, origin).toBe(4);
      expect(capLocalWorkers(2, 1, [origin]).used, origin).toBe(1);
    }
    expect(capLocalWorkers(4, 2, ['http://[::1]:8080']).cap).toEqual({
      asked: 4,
      used: 1,
      cores: 2,
      host: '::1',
      note: '1 of 4 asked — the target is on this machine (::1) and shares its 2 cores; more threads would take CPU from the target',
    });
  });

  it("are not capped when they fit in the target's half, nor for a target elsewhere", () => {
    expect(capLocalWorkers(1, 2, ['http://127.0.0.1:8080'])).toEqual({ used: 1, cap: null });
    expect(capLocalWorkers(4, 8, ['http://127.0.0.1:8080'])).toEqual({ used: 4, cap: null });
    for (const origin of ['http://192.0.2.2:8080', 'https://quotes.example.com', 'http://[2001:db8::1]', 'http://quotes.10.0.0.5.nip.io']) {
      expect(capLocalWorkers(2, 2, [origin]), origin).toEqual({ used: 2, cap: null });
      expect(capLocalWorkers(16, 2, [origin]), origin).toEqual({ used: 16, cap: null });
    }
  });

  it('are capped when any origin of a targets file is on this machine, naming it', () => {
    const { used, cap } = capLocalWorkers(2, 2, ['https://quotes.example.com', 'http://localhost:8080']);
    expect(used).toBe(1);
    expect(cap?.host).toBe('localhost');
  });

  it('plan for QCTL_LOAD_CORES when it is set, else for the cores Node reports', () => {
    expect(loadCores({ QCTL_LOAD_CORES: '6' })).toBe(6);
    expect(loadCores({})).toBeGreaterThanOrEqual(1);
    expect(() => loadCores({ QCTL_LOAD_CORES: '0' })).toThrow(/invalid QCTL_LOAD_CORES "0"/);
    expect(() => loadCores({ QCTL_LOAD_CORES: '1.5' })).toThrow(/invalid QCTL_LOAD_CORES "1\.5"/);
  });
});

describe('the default worker count', () => {
  it('is one thread per 10,000 req/s of the peak rate, at most one per two cores (so 1 on 2 cores)', () => {
    expect(defaultWorkerCount(2, 50_000)).toBe(1);
    expect(defaultWorkerCount(1, 50_000)).toBe(1);
    expect(defaultWorkerCount(8, 200)).toBe(1);
    expect(defaultWorkerCount(8, 25_000)).toBe(3);
    expect(defaultWorkerCount(8, 90_000)).toBe(4);
  });

  it('warns about more threads than cores, not about fewer', () => {
    expect(workersWarning(2, 2)).toBeNull();
    expect(workersWarning(4, 2)).toBe(
      '--workers 4 on 2 cores: threads beyond the cores share them, which lowers the ceiling and raises the noise floor; use --workers 1 or fewer here',
    );
  });
});
