import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReportSchema } from '../../bin/load/report-schema.js';
import { runQctl } from '../helpers/cli.js';
import { repoPath } from '../helpers/quotes-fixture.js';
import { startTarget, type Target } from './fixtures/target.js';

let target: Target;
const dir = mkdtempSync(join(tmpdir(), 'qctl-load-cli-'));

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.stop();
});

describe('qctl load (real CLI)', () => {
  it('exits 0 when every SLO holds and prints each SLO with its measured value', async () => {
    // A p99 bound no machine load reaches: the verdict must not depend on how busy the machine is.
    const result = await runQctl(['load', `${target.url}/`, '--rate', '50', '--duration', '1s', '--slo', 'p99<30s,errors<1%,dropped<1%']);
    expect(result.stderr).not.toContain('qctl: ');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/rate\s+target 50\.0 req\/s, achieved/);
    expect(result.stdout).toMatch(/p99<30s\s+\d+(\.\d+)?(ms|s)\s+pass/);
    expect(result.stdout).toMatch(/errors<1%\s+0\.00%\s+pass/);
    expect(result.stdout).toMatch(/verdict\s+PASS/);
  });

  it('exits 1 when an SLO is breached, writes JSON that matches the schema and names the breach', async () => {
    const result = await runQctl([
      'load',
      `${target.url}/quotes/999`,
      '--rate',
      '40',
      '--duration',
      '1s',
      '--slo',
      'errors<1%,p99<2s',
      '--output',
      'json',
    ]);
    expect(result.exitCode).toBe(1);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.verdict).toBe('fail');
    expect(report.requests).toMatchObject({ scheduled: 40, sent: 40, responses: 40, errors: 40 });
    expect(report.statusCodes).toEqual({ '404': 40 });
    expect(report.errorsByKind).toEqual({ http_4xx: 40 });
    expect(report.slo.results).toEqual([
      expect.objectContaining({ expression: 'errors<1%', measured: 1, passed: false }),
      expect.objectContaining({ expression: 'p99<2s', passed: true }),
    ]);
    expect(report.series).toHaveLength(1);
    expect(report.bytes.received).toBeGreaterThan(0);
  });

  it.each([
    [['--rate', '0'], /invalid --rate "0"/],
    [['--duration', 'forever'], /invalid --duration "forever"/],
    [['--slo', 'p99<fast'], /invalid --slo term "p99<fast"/],
    [['--max-inflight', '2.5'], /invalid --max-inflight "2.5"/],
    [['--ramp', '10:20'], /invalid --ramp "10:20"/],
    [['--output', 'xml'], /unknown --output "xml"/],
    [['--report', 'out.txt'], /ending in \.html/],
    [['--report', '/no/such/folder/run.html'], /the folder \/no\/such\/folder does not exist or is not writable/],
    [['--env', 'qa'], /unknown environment "qa"/],
    [['--watch-hpa'], /--watch-hpa needs --env/],
    [['--scenario', 'no-such-file.txt'], /cannot read the file/],
    [['--mix', 'list=1'], /--mix applies to --scenario quotes only/],
    [['--timeout', '0'], /invalid --timeout "0": it must be greater than zero/],
    [['--duration', '0'], /invalid --duration "0": it must be greater than zero/],
    [['--header', 'X-Test: a\r\nInjected: yes'], /invalid --header: the value of x-test contains a line break or control character/],
    [['--header', 'Bad Name: x'], /"bad name" is not a valid header name/],
    [['--ramp', '500:50:50'], /invalid --ramp "500:50:50": a ramp climbs; put the lower rate first, e.g. --ramp 50:500:50/],
  ])('exits 2 for bad usage %j without sending anything', async (extra, message) => {
    const before = (await target.stats()).count;
    const result = await runQctl(['load', `${target.url}/`, '--duration', '1s', ...extra]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect((await target.stats()).count).toBe(before);
  });

  it('a run whose requests failed never passes: without --slo the default error gate fails it', async () => {
    const { freePort } = await import('../helpers/ports.js');
    const nothing = `http://127.0.0.1:${await freePort()}/`;
    const result = await runQctl(['load', nothing, '--rate', '20', '--duration', '1s', '--output', 'json']);
    expect(result.exitCode).toBe(1);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.verdict).toBe('fail');
    expect(report.slo.results).toEqual([expect.objectContaining({ expression: 'errors<1% (default gate)', measured: 1, passed: false })]);
    // An explicit errors term replaces the gate: the run is judged only by what was asked.
    const lenient = await runQctl(['load', nothing, '--rate', '20', '--duration', '1s', '--slo', 'errors<=100%']);
    expect(lenient.exitCode).toBe(0);
  });

  it('refuses a non-local URL without --yes', async () => {
    const result = await runQctl(['load', 'http://example.com/', '--rate', '1', '--duration', '1s']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/http:\/\/example\.com is not a local address.*--yes/);
  });

  it('stops on Ctrl-C and still reports what ran', async () => {
    const before = (await target.stats()).count;
    const child = execa(
      'node',
      [repoPath('bin/qctl.mjs'), 'load', `${target.url}/`, '--rate', '100', '--duration', '60s', '--output', 'json', '--slo', 'errors<1%'],
      {
        env: { CI: 'true' },
        reject: false,
      },
    );
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ctrl-C stops')) resolve();
      });
    });
    // Warm-ups (not counted by the target) come first: wait for the schedule's first request.
    while ((await target.stats()).count === before) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const startedKill = Date.now();
    child.kill('SIGINT');
    const result = await child;
    // The schedule has ~58 s left: stopping on Ctrl-C ends it long before that on any machine load.
    expect(Date.now() - startedKill).toBeLessThan(30_000);
    const report = loadReportSchema.parse(JSON.parse(result.stdout as string));
    expect(report.interrupted).toBe(true);
    // About 1.5 s of the 60 s schedule ran; the achieved rate covers only that window.
    expect(report.requests.scheduled).toBeGreaterThan(80);
    expect(report.requests.scheduled).toBeLessThan(400);
    // Over the whole 60 s it would be about 2.5 req/s; over the window, up to the target (less on a loaded machine).
    expect(report.achievedRate).toBeGreaterThan(25);
    expect(report.achievedRate).toBeLessThan(110);
    expect(result.exitCode).toBe(0);
  });

  it('runs a targets file: plain lines with headers and JSON lines with bodies, relative to the URL', async () => {
    const file = join(dir, 'targets.txt');
    writeFileSync(
      file,
      [
        '# a comment',
        'GET /plain',
        'X-Test: plain-header',
        '',
        `POST ${target.url}/absolute`,
        '{"method":"PUT","url":"/json","headers":{"X-Json":"yes"},"body":{"hello":"world"}}',
      ].join('\n'),
    );
    const before = await target.stats();
    const result = await runQctl(['load', target.url, '--scenario', file, '--rate', '30', '--duration', '1s', '--output', 'json']);
    expect(result.exitCode).toBe(0);
    const after = await target.stats();
    const delta = (key: string): number => (after.paths[key] ?? 0) - (before.paths[key] ?? 0);
    // Round robin over the three requests.
    expect([delta('/plain'), delta('/absolute'), delta('/json')]).toEqual([10, 10, 10]);
    expect((after.methods.PUT ?? 0) - (before.methods.PUT ?? 0)).toBe(10);
    expect(after.headers.some((h) => h['x-test'] === 'plain-header')).toBe(true);
    expect(after.headers.some((h) => h['x-json'] === 'yes')).toBe(true);
    expect(after.bodies).toContain('{"hello":"world"}');
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.bytes.sent).toBe(10 * '{"hello":"world"}'.length);
  });

  it('rejects a bad targets file line with its line number', async () => {
    const file = join(dir, 'bad-targets.txt');
    writeFileSync(file, 'GET /ok\nFETCH /nope\n');
    const result = await runQctl(['load', target.url, '--scenario', file, '--rate', '10', '--duration', '1s']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/bad-targets\.txt:2: unknown HTTP method "FETCH"/);
  });

  it('mixes list, get-by-id, authors and search in the configured weights with ids and words from /quotes', async () => {
    const before = await target.stats();
    const result = await runQctl([
      'load',
      target.url,
      '--scenario',
      'quotes',
      '--mix',
      'list=1,get=2,authors=1,search=4',
      '--rate',
      '160',
      '--duration',
      '1s',
      '--output',
      'json',
      '--report',
      join(dir, 'quotes.html'),
    ]);
    expect(result.exitCode).toBe(0);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.target.scenario).toBe('quotes');
    expect(report.target.description).toContain('ids and words from');
    // Every get hit a real id (no 404s), every search a word from the quotes the server returned.
    expect(report.statusCodes).toEqual({ '200': 160 });
    const after = await target.stats();
    const delta = (key: string): number => (after.paths[key] ?? 0) - (before.paths[key] ?? 0);
    const counts = { list: delta('/quotes'), get: delta('/quotes/:id'), authors: delta('/authors'), search: delta('/quotes/search') };
    // (/quotes was also read once before the clock started, marked x-qctl-warmup, so not counted here.)
    expect(counts.list + counts.get + counts.authors + counts.search).toBe(160);
    expect(counts.search).toBeGreaterThan(counts.get);
    expect(counts.get).toBeGreaterThan(counts.list);
    expect(Math.abs(counts.search / 160 - 0.5)).toBeLessThan(0.12);
    const html = readFileSync(join(dir, 'quotes.html'), 'utf8');
    expect(html).toContain('id="latency-over-time"');
  });
});
