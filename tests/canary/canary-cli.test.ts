import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployHarness, errorLines } from '../deploy/harness.js';
import type { ResourceKind, RecordedRequest } from '../helpers/fake-kube-api.js';
import { startFakePrometheus, type FakePrometheus } from '../helpers/fake-prometheus.js';
import { freePort } from '../helpers/ports.js';

/**
 * The canary flow through the real CLI against the fake Kubernetes API (serving the Gateway API,
 * so the split is visible as HTTPRoute backend weights) and the fake Prometheus: objects created,
 * weights stepped, the stable image replaced on promotion, the canary removed on abort (by the
 * analysis or by hand), status while a canary runs, and an interrupted run resumed.
 * The scenarios share one cluster and follow each other, as releases of one service do.
 */
const GATEWAY_KINDS: ResourceKind[] = [
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute', plural: 'httproutes', namespaced: true },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway', plural: 'gateways', namespaced: true },
];
const NS = 'quotes-dev';
const REPO = 'registry.example/quote-api';
const GOOD = { requests: 1200, errors: 1, p99Seconds: 0.08 };

let harness: DeployHarness;
let prometheus: FakePrometheus;

beforeAll(async () => {
  [harness, prometheus] = await Promise.all([DeployHarness.create({ api: { kinds: GATEWAY_KINDS } }), startFakePrometheus()]);
  harness.writeProjectFile(
    'qctl.config.ts',
    "export default { environments: { dev: { ingress: { mode: 'gateway', gateway: { name: 'shared', namespace: 'gateways' } } } } };\n",
  );
  const up = await harness.run(['up', '--image', `${REPO}:1.0.0`]);
  expect(up.exitCode, String(up.stderr)).toBe(0);
  prometheus.set(NS, '1.0.0', GOOD);
}, 120_000);

afterAll(async () => {
  await Promise.all([harness?.stop(), prometheus?.stop()]);
});

type Decision = { step: number; weight: number; outcome: string; action: string; reason: string };
type CanaryJson = {
  ok: boolean;
  canary: {
    outcome: string;
    image: string;
    stableImage: string;
    weights: number[];
    decisions: (Decision & { window: { start: string; end: string } })[];
    reason?: string;
    analysis?: {
      outcome: string;
      judged: { requests: string; excludedRoutes: string[]; from: string; to: string };
      checks: number;
      steps: { step: number; weight: number; checks: number; passed: number; result: string }[];
      last: { canary: { requests: number } } | null;
    };
  };
  pruned: { kind: string; name: string; action: string }[];
};

const canaryArgs = (tag: string, ...extra: string[]) => [
  'up',
  '--image',
  `${REPO}:${tag}`,
  '--canary',
  '20',
  '--prometheus-url',
  prometheus.url,
  '--analysis-interval',
  '50ms',
  '--analysis-checks',
  '1',
  ...extra,
];

const image = (name: string) =>
  (harness.api.get('Deployment', NS, name)?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec
    .containers[0]!.image;

/** The backend weights of every HTTPRoute apply, in order. */
const routeWeights = (requests: RecordedRequest[]) =>
  requests
    .filter((r) => r.method === 'PATCH' && r.path.endsWith('/httproutes/quote-api') && r.query.dryRun === undefined)
    .map((r) => (r.body as { spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] } }).spec.rules[0]!.backendRefs)
    .map((refs) => Object.fromEntries(refs.map((b) => [b.name, b.weight ?? 100])));

const canaryGone = () =>
  harness.api.get('Deployment', NS, 'quote-api-canary') === undefined &&
  harness.api.get('Service', NS, 'quote-api-canary') === undefined &&
  harness.api.get('Service', NS, 'quote-api-stable') === undefined;

describe('qctl up --canary against a fake cluster and a fake Prometheus', () => {
  it('refuses canary options without --canary, and --canary with --dry-run: one line, exit 2, nothing applied', async () => {
    harness.api.requests.length = 0;
    const stray = await harness.run(['up', '--image', `${REPO}:1.0.1`, '--max-p99', '300ms']);
    expect(stray.exitCode).toBe(2);
    expect(errorLines(stray)).toEqual(['qctl: --max-p99 only applies to a canary release: add --canary WEIGHT (e.g. --canary 20)']);
    const dry = await harness.run(['up', '--image', `${REPO}:1.0.1`, '--canary', '20', '--dry-run']);
    expect(dry.exitCode).toBe(2);
    expect(errorLines(dry)).toEqual([
      'qctl: --canary and --dry-run do not go together: preview the canary with qctl diff --set canary.tag=TAG',
    ]);
    expect(harness.api.mutations()).toEqual([]);
  }, 120_000);

  it('steps 20 -> 50 on good numbers, then promotes: the stable Deployment takes the canary image and the canary objects go', async () => {
    prometheus.set(NS, '2.0.0', GOOD);
    harness.api.requests.length = 0;
    const result = await harness.run([...canaryArgs('2.0.0'), '--output', 'json']);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const report = JSON.parse(String(result.stdout)) as CanaryJson;
    expect(report.ok).toBe(true);
    expect(report.canary).toMatchObject({ outcome: 'promoted', image: `${REPO}:2.0.0`, stableImage: `${REPO}:1.0.0`, weights: [20, 50] });
    expect(report.canary.decisions.map((d) => [d.step, d.weight, d.outcome, d.action])).toEqual([
      [1, 20, 'pass', 'next step'],
      [2, 50, 'pass', 'promote'],
    ]);
    // The final summary: what was judged, over which time, step by step.
    expect(report.canary.analysis).toMatchObject({
      outcome: 'promoted',
      judged: { requests: 'user', excludedRoutes: ['/healthz', '/readyz', '/metrics', '/', '/page/app.js', '/page/style.css'] },
      checks: 2,
      steps: [
        { step: 1, weight: 20, checks: 1, passed: 1, result: 'next step' },
        { step: 2, weight: 50, checks: 1, passed: 1, result: 'promote' },
      ],
      last: { canary: { requests: 1200 } },
    });
    expect(report.canary.analysis!.judged.from).toBe(report.canary.decisions[0]!.window.start);
    // Step 2 is judged from when its weight took effect: after step 1's window.
    expect(Date.parse(report.canary.decisions[1]!.window.start)).toBeGreaterThan(Date.parse(report.canary.decisions[0]!.window.end));
    // The seed Job of a version that never ran a first install is not in the prune list ("already gone").
    expect(report.pruned.filter((p) => p.action === 'already gone')).toEqual([]);
    expect(routeWeights(harness.api.requests)).toEqual([
      { 'quote-api-stable': 80, 'quote-api-canary': 20 },
      { 'quote-api-stable': 50, 'quote-api-canary': 50 },
      { 'quote-api': 100 },
    ]);
    // The canary Deployment ran the new image with its state recorded, step by step.
    const canaryApplies = harness.api
      .applies()
      .filter((r) => r.path.endsWith('/deployments/quote-api-canary') && r.query.dryRun === undefined)
      .map(
        (r) =>
          r.body as {
            metadata: { annotations: Record<string, string> };
            spec: { template: { spec: { containers: { image: string }[] } } };
          },
      );
    expect(canaryApplies.map((d) => d.metadata.annotations['qctl.dev/canary-weight'])).toEqual(['20', '50']);
    expect(canaryApplies[0]!.spec.template.spec.containers[0]!.image).toBe(`${REPO}:2.0.0`);
    expect(canaryApplies[0]!.metadata.annotations['qctl.dev/canary-stable-image']).toBe(`${REPO}:1.0.0`);
    expect(image('quote-api')).toBe(`${REPO}:2.0.0`);
    expect(canaryGone()).toBe(true);
  }, 120_000);

  it('judges offline and checks Prometheus before the first write: exit 2, nothing applied, credentials never printed', async () => {
    harness.api.requests.length = 0;
    const none = await harness.run(['up', '--image', `${REPO}:2.5.0`, '--canary', '20', '--monitoring', 'none']);
    expect(errorLines(none)).toEqual([
      'qctl: with --monitoring none qctl has no Prometheus of its own to ask: pass --prometheus-url URL (a Prometheus that scrapes quotes-dev), or --no-analysis',
    ]);
    expect(none.exitCode).toBe(2);
    const overflow = await harness.run([...canaryArgs('2.5.0'), '--analysis-interval', '600h']);
    expect(errorLines(overflow)).toEqual(['qctl: invalid --analysis-interval "600h": it may be at most 1h']);
    expect(overflow.exitCode).toBe(2);
    const timeout = await harness.run([...canaryArgs('2.5.0'), '--timeout', '600h']);
    expect(errorLines(timeout)).toEqual(['qctl: invalid --timeout "600h": it may be at most 24h']);
    const closed = `http://admin:hunter2@127.0.0.1:${await freePort()}`;
    const unreachable = await harness.run(['up', '--image', `${REPO}:2.5.0`, '--canary', '20', '--prometheus-url', closed]);
    expect(unreachable.exitCode).toBe(2);
    expect(errorLines(unreachable)).toEqual([
      expect.stringMatching(
        /^qctl: the canary analysis cannot use Prometheus at http:\/\/\*\*\*@127\.0\.0\.1:\d+: cannot reach Prometheus at http:\/\/\*\*\*@127\.0\.0\.1:\d+ \(connection refused\).*; nothing was applied/,
      ),
    ]);
    expect(`${String(unreachable.stdout)}${String(unreachable.stderr)}`).not.toMatch(/hunter2/);
    // A Prometheus that does not scrape the namespace could never judge the canary.
    const blind = await startFakePrometheus();
    try {
      const elsewhere = await harness.run(['up', '--image', `${REPO}:2.5.0`, '--canary', '20', '--prometheus-url', blind.url]);
      expect(elsewhere.exitCode).toBe(2);
      expect(String(elsewhere.stderr)).toMatch(/no http_requests_total series of namespace quotes-dev in the last 5 minutes/);
    } finally {
      await blind.stop();
    }
    expect(harness.api.mutations()).toEqual([]);
  }, 300_000);

  it('aborts on a bad canary error ratio: the canary objects go, the stable image stays, exit 1', async () => {
    prometheus.set(NS, '2.0.0', GOOD);
    prometheus.set(NS, '3.0.0', { requests: 500, errors: 40, p99Seconds: 0.05 });
    const result = await harness.run(canaryArgs('3.0.0'));
    expect(result.exitCode).toBe(1);
    // The HTTPRoute splits by weight: no note about an approximate share.
    expect(result.stdout).not.toMatch(/without a weighted router/);
    // The analysis says what it judges before it starts, and each decision its window.
    expect(result.stdout).toMatch(
      /analysis: user requests of quotes-dev \(every route but \/healthz, \/readyz, \/metrics, \/, \/page\/app\.js, \/page\/style\.css\) of version 3\.0\.0 against 2\.0\.0/,
    );
    expect(result.stdout).toMatch(
      /step 1\/2 \(canary 20%\) check 1, user requests [\d:.]+-[\d:.]+ UTC \([\d.]+m?s\): fail -> abort: canary error ratio 8\.00% is above 1\.00% \[canary 8\.00% 5xx \(40\/500\), p99 50ms; stable 0\.08% 5xx \(1\/1200\), p99 80ms\]/,
    );
    // A failed analysis is never printed as ok.
    expect(result.stdout).toMatch(/^FAILED Analyse step 1\/2: canary at 20%/m);
    expect(result.stdout).not.toMatch(/^ok Analyse/m);
    expect(result.stdout).toMatch(
      /aborted: canary error ratio 8\.00% is above 1\.00%; the canary objects are removed and quotes-dev\/quote-api still runs registry\.example\/quote-api:2\.0\.0/,
    );
    expect(image('quote-api')).toBe(`${REPO}:2.0.0`);
    expect(canaryGone()).toBe(true);
  }, 120_000);

  it('aborts on a bad canary p99, and on a canary without data once the grace period is over', async () => {
    prometheus.set(NS, '3.0.1', { requests: 500, errors: 0, p99Seconds: 0.9 });
    const slow = await harness.run([...canaryArgs('3.0.1'), '--output', 'json']);
    expect(slow.exitCode).toBe(1);
    expect((JSON.parse(String(slow.stdout)) as CanaryJson).canary).toMatchObject({
      outcome: 'aborted',
      reason: 'canary p99 900ms is above 500ms',
    });
    const silent = await harness.run([...canaryArgs('3.0.2', '--analysis-grace', '200ms'), '--output', 'json']);
    expect(silent.exitCode).toBe(1);
    const report = JSON.parse(String(silent.stdout)) as CanaryJson;
    expect(report.canary.outcome).toBe('aborted');
    expect(report.canary.reason).toMatch(
      /^no usable canary data within the grace period of 200ms: canary served 0 user requests in the window, fewer than 20$/,
    );
    expect(report.canary.decisions.at(-1)!.action).toBe('abort');
    expect(image('quote-api')).toBe(`${REPO}:2.0.0`);
    expect(canaryGone()).toBe(true);
  }, 120_000);

  it('aborts a canary whose pods do not start, with the reason the wait found', async () => {
    harness.api.react({ kind: 'Deployment', name: 'quote-api-canary' }, (object, api) => {
      const container = (object.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec
        .containers[0]!;
      const generation = object.metadata.generation;
      if (!container.image.endsWith(':7.0.0-typo')) {
        object.status = { observedGeneration: generation, replicas: 1, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1 };
        return;
      }
      object.status = { observedGeneration: generation, replicas: 1, updatedReplicas: 1, availableReplicas: 0 };
      const labels = (object.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
      api.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'quote-api-canary-1', namespace: NS, labels },
        status: {
          phase: 'Pending',
          containerStatuses: [
            { name: container.name, image: container.image, state: { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } } },
          ],
        },
      });
    });
    const result = await harness.run([...canaryArgs('7.0.0-typo'), '--timeout', '20s']);
    expect(result.exitCode).toBe(1);
    // The wait's whole diagnosis is printed before the abort.
    expect(result.stdout).toMatch(
      /canary aborted: [^\n]*\n\s+ErrImagePull: image "registry\.example\/quote-api:7\.0\.0-typo" \(container quote-api in pod quote-api-canary-1\): manifest unknown/,
    );
    expect(result.stdout).toMatch(
      /aborted: the canary at 20% did not come up: Deployment quotes-dev\/quote-api-canary failed: ErrImagePull: pod quote-api-canary-1 cannot pull image "registry\.example\/quote-api:7\.0\.0-typo"; the canary objects are removed and quotes-dev\/quote-api still runs registry\.example\/quote-api:2\.0\.0/,
    );
    expect(image('quote-api')).toBe(`${REPO}:2.0.0`);
    expect(canaryGone()).toBe(true);
  }, 120_000);

  it('--no-analysis leaves the canary for status, promote and abort by hand; a plain up is refused meanwhile', async () => {
    const manual = await harness.run(['up', '--image', `${REPO}:4.0.0`, '--canary', '10', '--no-analysis']);
    expect(manual.exitCode, String(manual.stderr)).toBe(0);
    expect(manual.stdout).toMatch(
      /canary registry\.example\/quote-api:4\.0\.0 takes 10% beside registry\.example\/quote-api:2\.0\.0: finish with qctl promote or qctl abort/,
    );
    expect(image('quote-api-canary')).toBe(`${REPO}:4.0.0`);

    const status = await harness.run(['status', '--output', 'json']);
    expect(JSON.parse(String(status.stdout)).canary).toMatchObject({
      image: `${REPO}:4.0.0`,
      stableImage: `${REPO}:2.0.0`,
      weight: 10,
      step: 1,
      steps: 1,
      analysis: 'manual',
    });
    expect((await harness.run(['status'])).stdout).toMatch(
      /canary in progress: registry\.example\/quote-api:4\.0\.0 takes 10% \(step 1\/1, manual, started [^)]+\) beside registry\.example\/quote-api:2\.0\.0/,
    );

    const plain = await harness.run(['up', '--image', `${REPO}:5.0.0`]);
    expect(plain.exitCode).toBe(2);
    expect(errorLines(plain)).toEqual([
      'qctl: a canary of registry.example/quote-api:4.0.0 is in progress in quotes-dev at 10%: finish it with qctl promote or qctl abort (or resume it with qctl up --canary) before a plain qctl up',
    ]);
    const other = await harness.run(['up', '--image', `${REPO}:5.0.0`, '--canary', '10', '--no-analysis']);
    expect(other.exitCode).toBe(2);
    expect(String(other.stderr)).toMatch(
      /a canary of registry\.example\/quote-api:4\.0\.0 is in progress in quotes-dev at 10%: finish it with qctl promote or qctl abort/,
    );

    const aborted = await harness.run(['abort']);
    expect(aborted.exitCode, String(aborted.stderr)).toBe(0);
    expect(aborted.stdout).toMatch(
      /aborted: aborted by hand; the canary objects are removed and quotes-dev\/quote-api still runs registry\.example\/quote-api:2\.0\.0/,
    );
    expect(canaryGone()).toBe(true);
    expect(image('quote-api')).toBe(`${REPO}:2.0.0`);
    const nothing = await harness.run(['promote']);
    expect(nothing.exitCode).toBe(2);
    expect(errorLines(nothing)).toEqual([
      expect.stringMatching(/^qctl: no canary in progress in quotes-dev \(context microk8s\): nothing to promote/),
    ]);

    expect((await harness.run(['up', '--image', `${REPO}:4.0.0`, '--canary', '10', '--no-analysis'])).exitCode).toBe(0);
    const promoted = await harness.run(['promote', '--output', 'json']);
    expect(promoted.exitCode, String(promoted.stderr)).toBe(0);
    expect(JSON.parse(String(promoted.stdout)).canary).toMatchObject({ outcome: 'promoted', image: `${REPO}:4.0.0` });
    expect(image('quote-api')).toBe(`${REPO}:4.0.0`);
    expect(canaryGone()).toBe(true);
  }, 480_000);

  it('an interrupted up --canary resumes at the step it reached', async () => {
    prometheus.set(NS, '4.0.0', GOOD);
    prometheus.set(NS, '6.0.0', GOOD);
    const args = canaryArgs('6.0.0', '--analysis-grace', '10m');
    // Once step 2 routes 50% to the canary, the canary goes quiet, so the run waits there until it is interrupted.
    let quietAt50 = true;
    harness.api.react({ kind: 'HTTPRoute', name: 'quote-api' }, (route) => {
      const refs = (route.spec as { rules: { backendRefs: { name: string; weight?: number }[] }[] }).rules[0]!.backendRefs;
      if (quietAt50 && refs.some((b) => b.name === 'quote-api-canary' && b.weight === 50)) prometheus.set(NS, '6.0.0', undefined);
    });
    const first = harness.run(args);
    const waiting = () =>
      (harness.api.get('Deployment', NS, 'quote-api-canary')?.metadata.annotations as Record<string, string> | undefined)?.[
        'qctl.dev/canary-weight'
      ] === '50';
    for (let i = 0; i < 600 && !waiting(); i++) await new Promise((r) => setTimeout(r, 100));
    if (!waiting()) {
      first.kill('SIGKILL');
      const run = await first;
      expect.fail(`the canary never reached 50%:\n${String(run.stdout)}\n${String(run.stderr)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
    first.kill('SIGINT');
    const interrupted = await first;
    expect(interrupted.exitCode).toBe(130);
    expect(String(interrupted.stderr)).toMatch(
      /interrupted: the canary registry\.example\/quote-api:6\.0\.0 stays at 50%; resume with the same qctl up --canary/,
    );
    expect(image('quote-api-canary')).toBe(`${REPO}:6.0.0`);

    quietAt50 = false;
    prometheus.set(NS, '6.0.0', GOOD);
    harness.api.requests.length = 0;
    const resumed = await harness.run([...args, '--output', 'json']);
    expect(resumed.exitCode, String(resumed.stderr)).toBe(0);
    const report = JSON.parse(String(resumed.stdout)) as CanaryJson;
    expect(report.canary.decisions.map((d) => [d.step, d.weight, d.action])).toEqual([[2, 50, 'promote']]);
    expect(routeWeights(harness.api.requests)).toEqual([{ 'quote-api': 100 }]);
    expect(image('quote-api')).toBe(`${REPO}:6.0.0`);
    expect(canaryGone()).toBe(true);
  }, 240_000);
});
