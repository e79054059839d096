import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReportSchema } from '../../bin/load/report-schema.js';
import { redactUrlsIn as redactUrls } from '../../bin/cli/safe-text.js';
import { runQctl } from '../helpers/cli.js';
import { startTarget, type Target } from './fixtures/target.js';

let target: Target;
let dir: string;
beforeAll(async () => {
  target = await startTarget();
  dir = mkdtempSync(join(tmpdir(), 'qctl-load-credentials-'));
});
afterAll(async () => {
  await target?.stop();
});

const SECRET = 's3cr%40t-pw';
const withCredentials = (url: string, path = '/') => url.replace('http://', `http://alice:${SECRET}@`) + path;

/** A one-second JSON run with an HTML report: the result and everything it printed or wrote. */
async function loadWithReport(url: string, rate: number, reportName: string) {
  const html = join(dir, reportName);
  const result = await runQctl(['load', url, '--rate', String(rate), '--duration', '1s', '--output', 'json', '--report', html]);
  expect(result.exitCode).toBe(0);
  return { result, everything: `${String(result.stdout)}${String(result.stderr)}${readFileSync(html, 'utf8')}` };
}

describe('credentials in a load target URL', () => {
  it('are sent as Basic auth and never printed: start line, JSON target.url, HTML report', async () => {
    const before = (await target.stats()).headers.length;
    const { result, everything } = await loadWithReport(withCredentials(target.url), 20, 'report.html');
    expect(everything).not.toContain('s3cr');
    expect(everything).not.toContain('alice');
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.target.url).toBe(`${target.url.replace('http://', 'http://***@')}/`);
    expect(result.stderr).toContain(`GET ${target.url}/`);
    // The server got them as the header curl would send (the password percent-decoded).
    const sent = (await target.stats()).headers.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    const expected = `Basic ${Buffer.from('alice:s3cr@t-pw').toString('base64')}`;
    for (const headers of sent) expect(headers.authorization).toBe(expected);
  });

  it('a credential in the query (?api_key=, ?token=) is hidden too: start line, JSON target and description, HTML report', async () => {
    const { result, everything } = await loadWithReport(`${target.url}/?api_key=k3y-${SECRET}&page=2`, 10, 'query-report.html');
    expect(everything).not.toContain('k3y-');
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.target.url).toBe(`${target.url}/?api_key=***&page=2`);
    expect(report.target.description).toBe(`GET ${target.url}/?api_key=***&page=2`);
    expect(result.stderr).toContain(`GET ${target.url}/?api_key=***&page=2`);
  });

  it('are redacted from usage errors and from the quotes scenario and targets-file lines', async () => {
    const bad = await runQctl(['load', 'http://bob:hunter2@exa mple/', '--rate', '1', '--duration', '1s']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).not.toContain('hunter2');
    expect(bad.stderr).toContain('http://***@exa mple/');
    const quotes = await runQctl(['load', withCredentials(target.url), '--scenario', 'quotes', '--rate', '10', '--duration', '1s']);
    expect(`${String(quotes.stdout)}${String(quotes.stderr)}`).not.toContain('s3cr');
    expect(redactUrls('see https://u:p@h:1/x and http://h/ and ftp://only@h')).toBe('see https://***@h:1/x and http://h/ and ftp://***@h');
  });
});
