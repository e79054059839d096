import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployHarness } from './harness.js';

/**
 * What the cluster says is printed escaped: escape sequences, NUL, C1 controls and bidi
 * overrides in an event, a reason or an image of a live object reach `qctl status` and
 * `qctl diff` as visible escapes, and a newline inside an event cannot forge a line of ours.
 */
const HOSTILE = '\x1b[2J\x1b]0;owned\x07before\x00after\u202eevil\x9b31m';
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/;

let harness: DeployHarness;
beforeAll(async () => {
  harness = await DeployHarness.create();
  const up = await harness.run(['up', '--image', 'registry.example/quote-api:1.0.0']);
  expect(up.exitCode, String(up.stderr)).toBe(0);
}, 180_000);
afterAll(async () => {
  await harness.stop();
});

describe('hostile bytes from the cluster', () => {
  it('qctl status: events, reasons and images are escaped, one line each', async () => {
    harness.api.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'hostile.1', namespace: 'quotes-dev' },
      type: 'Warning',
      reason: `BackOff${HOSTILE}`,
      message: `pulling\nqctl: all checks passed ${HOSTILE}`,
      involvedObject: { kind: 'Pod', name: `quote-api-x${HOSTILE}` },
      count: 3,
    } as never);
    const deployment = harness.api.get('Deployment', 'quotes-dev', 'quote-api')!;
    (deployment.spec as any).template.spec.containers[0].image = `registry.example/quote-api:1.0.0${HOSTILE}`;
    harness.api.put(deployment);

    const status = await harness.run(['status']);
    expect(status.exitCode, String(status.stderr)).toBe(0);
    const out = String(status.stdout);
    expect(out).not.toMatch(RAW_CONTROL);
    expect(out).toContain('\\x1b[2J\\x1b]0;owned\\x07before\\x00after\\u202eevil\\x9b31m');
    // The newline inside the message is shown, not obeyed.
    expect(out).toContain('BackOff\\x1b[2J');
    expect(out).toMatch(/: pulling\\nqctl: all checks passed /);
    expect(out.split('\n').filter((line) => line.startsWith('qctl: all checks passed'))).toEqual([]);

    // JSON keeps the exact text (JSON.stringify escapes the C0 controls).
    const json = await harness.run(['status', '--output', 'json']);
    expect(String(json.stdout)).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
    const report = JSON.parse(String(json.stdout)) as { warnings: { message: string }[] };
    expect(report.warnings.map((w) => w.message)).toContain(`pulling\nqctl: all checks passed ${HOSTILE}`);
  }, 120_000);

  it('qctl diff: a live value with escape sequences is shown escaped', async () => {
    const config = harness.api.get('ConfigMap', 'quotes-dev', 'quote-api-config')!;
    (config as any).data.EMBEDDING_MODEL = `text-embedding-3-small${HOSTILE}`;
    harness.api.put(config);
    const diff = await harness.run(['diff']);
    const out = String(diff.stdout);
    expect(out, String(diff.stderr)).toContain('ConfigMap');
    expect(out).not.toMatch(RAW_CONTROL);
    expect(out).toContain('owned');
  }, 120_000);
});
