import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../bin/load/html-report.js';
import { executeLoad } from '../../bin/load/run.js';
import { singleUrlScenario } from '../../bin/load/scenario.js';
import { parseSlos } from '../../bin/load/slo.js';
import type { LoadReport } from '../../bin/load/report-schema.js';
import { launchChromium } from '../helpers/browser.js';
import { startTarget, type Target } from './fixtures/target.js';

let target: Target;
let browser: Browser;
let report: LoadReport;

beforeAll(async () => {
  target = await startTarget({ DELAY_MS: '5' });
  const url = `${target.url}/`;
  [browser, report] = await Promise.all([
    launchChromium(),
    executeLoad({
      targetUrl: url,
      scenario: singleUrlScenario(new URL(url), 'GET'),
      rate: 0,
      durationMs: 0,
      ramp: { start: 40, end: 80, step: 40, stepDurationMs: 1500 },
      maxInflight: 100,
      timeoutMs: 2000,
      slos: parseSlos('p99<500ms,errors<1%'),
    }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await target?.stop();
});

describe('HTML report', () => {
  it('renders in headless Chromium without console errors or network fetches, with its charts and tables', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'qctl-load-html-')), 'report.html');
    writeFileSync(file, renderHtmlReport(report));
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    expect(problems).toEqual([]);
    // Self-contained: the page itself is the only thing loaded.
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(await page.title()).toBe('qctl load report: PASS');
    expect(await page.textContent('#verdict')).toBe('PASS');

    // Latency over time: p50, p99 and max lines with a point per second of the run.
    const latencyLines = await page.$$eval('#latency-over-time path.line', (paths) => paths.map((p) => p.getAttribute('data-series')));
    expect(latencyLines).toEqual(['p50', 'p99', 'max']);
    const points = await page.$$eval('#latency-over-time circle', (c) => c.length);
    expect(points).toBe(3 * report.series.length);
    expect(await page.$$eval('#latency-by-percentile path.line', (p) => p.length)).toBe(1);
    expect(await page.$$eval('#rate-over-time path.line', (p) => p.length)).toBe(4);
    // The charts were laid out with real size.
    const box = await page.locator('#latency-over-time svg').boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(100);

    const body = await page.textContent('body');
    // Every step passed: no knee was found, and the summary shows the ramp, not an average "target".
    expect(body).toContain('Knee: none found: every step up to 80 req/s met the SLO');
    expect(body).toContain('ramp 40→80 req/s, step 40 every 1.5s (2 of 2 steps run)');
    expect(body).not.toMatch(/target \d/);
    expect(body).toContain('p99<500ms');
    // The full JSON report travels with the page.
    const embedded = await page.$eval('#qctl-load-report', (el) => JSON.parse(el.textContent ?? 'null'));
    expect(embedded).toEqual(JSON.parse(JSON.stringify(report)));
    await page.close();
  });

  it('adds a replicas chart when the run watched the HPA', async () => {
    const withHpa: LoadReport = {
      ...report,
      hpa: {
        namespace: 'quotes-dev',
        name: 'quote-api',
        error: null,
        samples: [0, 1000, 2000].map((t, i) => ({
          t,
          currentReplicas: 1 + i,
          desiredReplicas: 2 + i,
          readyReplicas: 1 + i,
          minReplicas: 1,
          maxReplicas: 5,
          cpuUtilization: 40 + 20 * i,
        })),
      },
    };
    const file = join(mkdtempSync(join(tmpdir(), 'qctl-load-html-')), 'hpa.html');
    writeFileSync(file, renderHtmlReport(withHpa));
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(pathToFileURL(file).href);
    expect(problems).toEqual([]);
    expect(await page.textContent('#replicas-over-time figcaption')).toBe('Autoscaling: HPA quotes-dev/quote-api');
    const lines = await page.$$eval('#replicas-over-time path.line', (paths) => paths.map((p) => p.getAttribute('data-series')));
    expect(lines).toEqual(['current', 'desired', 'ready']);
    expect(await page.$$eval('#replicas-over-time circle', (c) => c.length)).toBe(9);
    await page.close();
  });

  it('escapes text from the target so a hostile URL cannot inject markup', async () => {
    const hostile: LoadReport = {
      ...report,
      target: { ...report.target, description: '<script>window.hacked=1</script><img src=x onerror=alert(1)>' },
    };
    const file = join(mkdtempSync(join(tmpdir(), 'qctl-load-html-')), 'hostile.html');
    writeFileSync(file, renderHtmlReport(hostile));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => {
      errors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(pathToFileURL(file).href);
    expect(await page.evaluate(() => (globalThis as { hacked?: number }).hacked)).toBeUndefined();
    expect(await page.$$('img')).toHaveLength(0);
    expect(errors).toEqual([]);
    expect(await page.textContent('body')).toContain('<script>window.hacked=1</script>');
    await page.close();
  });
});
