import { describe, expect, it } from 'vitest';
import { evaluateSlos, formatSloValue, parseSlos, type SloSubject } from '../../bin/load/slo.js';
import { parseRamp, parseRate } from '../../bin/load/command.js';
import { QctlError } from '../../bin/cli/errors.js';
import { isLocalHost } from '../../bin/load/target.js';

const subject = (overrides: Partial<SloSubject> = {}): SloSubject => ({
  percentileMs: (p) => (p >= 99 ? 240 : p >= 90 ? 80 : 30),
  meanMs: 35,
  maxMs: 900,
  latencySamples: 1000,
  errorRate: 0.0005,
  dropRate: 0,
  rateRatio: 0.995,
  achievedRate: 199,
  ...overrides,
});

describe('SLO parsing', () => {
  it('parses the documented example into metrics, operators and base-unit thresholds', () => {
    const slos = parseSlos('p99<250ms,p50<50ms,errors<0.1%,rate>=0.99');
    expect(slos.map((s) => [s.name, s.operator, s.threshold, s.unit])).toEqual([
      ['p99', '<', 250, 'ms'],
      ['p50', '<', 50, 'ms'],
      ['errors', '<', 0.001, 'ratio'],
      ['rate', '>=', 0.99, 'ratio'],
    ]);
  });

  it.each([
    ['p99.9 <= 1.5s', 'p99.9', '<=', 1500],
    ['P95<800us', 'p95', '<', 0.8],
    ['mean<40', 'mean', '<', 40],
    ['max<2s', 'max', '<', 2000],
    ['dropped<1%', 'dropped', '<', 0.01],
    ['errors<0.002', 'errors', '<', 0.002],
    ['rate>=99%', 'rate', '>=', 0.99],
    ['rps>=190', 'rps', '>=', 190],
    ['rps>190/s', 'rps', '>', 190],
  ])('%s', (text, name, operator, threshold) => {
    const [slo] = parseSlos(text);
    expect(slo).toMatchObject({ name, operator });
    expect(slo!.threshold).toBeCloseTo(threshold, 9);
  });

  it.each([
    ['', /comma-separated terms/],
    ['p99<250ms,', /comma-separated terms/],
    ['p99', /METRIC OP VALUE/],
    ['p99=250ms', /METRIC OP VALUE/],
    ['latency<250ms', /unknown metric "latency"/],
    ['p999<1s', /unknown metric "p999"/],
    ['p99<fast', /not a duration/],
    ['p99<5%', /not a duration/],
    ['errors<5ms', /not a percentage/],
    ['errors<150%', /not a percentage/],
    ['rate>=190', /not an achieved\/target ratio.*rps>=190/],
    ['rps>=fast', /not a request rate/],
  ])('rejects %j with a usage error naming the fix', (text, message) => {
    let error: unknown;
    try {
      parseSlos(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QctlError);
    expect((error as QctlError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
  });
});

describe('SLO evaluation', () => {
  it('measures each SLO and passes or fails it', () => {
    const results = evaluateSlos(parseSlos('p99<250ms,p90<50ms,errors<0.1%,rate>=0.99,rps>=200,max<=900ms'), subject());
    expect(results.map((r) => [r.name, r.measured, r.passed])).toEqual([
      ['p99', 240, true],
      ['p90', 80, false],
      ['errors', 0.0005, true],
      ['rate', 0.995, true],
      ['rps', 199, false],
      ['max', 900, true],
    ]);
  });

  it('fails latency SLOs when there were no responses to measure', () => {
    const [result] = evaluateSlos(parseSlos('p99<250ms'), subject({ latencySamples: 0 }));
    expect(result).toMatchObject({ measured: null, passed: false });
  });

  it('formats measured values in the SLO unit', () => {
    expect(formatSloValue(231.44, 'ms', 'p99')).toBe('231.4ms');
    expect(formatSloValue(0.0005, 'ratio', 'errors')).toBe('0.050%');
    expect(formatSloValue(0.9951, 'ratio', 'rate')).toBe('0.995');
    expect(formatSloValue(null, 'ms', 'p99')).toBe('n/a');
  });
});

describe('other load options', () => {
  it('parses ramps with and without a step duration', () => {
    expect(parseRamp('50:500:50:20s', 30_000)).toEqual({ start: 50, end: 500, step: 50, stepDurationMs: 20_000 });
    expect(parseRamp('10:30:10', 5000)).toEqual({ start: 10, end: 30, step: 10, stepDurationMs: 5000 });
    expect(() => parseRamp('50:500', 1000)).toThrow(/start:end:step/);
    expect(() => parseRamp('50:x:50', 1000)).toThrow(/"x" is not a rate/);
    expect(() => parseRamp('1:1000:1', 1000)).toThrow(/at most 100 steps/);
    expect(() => parseRamp('10:20:5:soon', 1000)).toThrow(/invalid --ramp step duration/);
  });

  it('accepts only positive rates', () => {
    expect(parseRate('2.5')).toBe(2.5);
    expect(() => parseRate('0')).toThrow(/above 0/);
    expect(() => parseRate('-5')).toThrow(/above 0/);
    expect(() => parseRate('lots')).toThrow(/above 0/);
    expect(() => parseRate('1000000')).toThrow(/at most/);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.1', true],
    ['localhost', true],
    ['api.localhost', true],
    ['[::1]', true],
    ['quotes.127.0.0.1.nip.io', true],
    ['prod.quotes.127.0.0.1.nip.io', true],
    ['example.com', false],
    ['10.0.0.5', false],
    ['127.0.0.1.example.com', false],
  ])('%s is local: %s', (host, local) => {
    expect(isLocalHost(host)).toBe(local);
  });
});
