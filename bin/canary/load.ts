import { runOpenLoop } from '../load/generator.js';
import { DEFAULT_QUOTES_MIX, quotesScenario } from '../load/scenario.js';

/**
 * `--canary-load RATE`: qctl's own open-loop generator (bin/load) sends the quotes mix (list,
 * get, authors, search: user routes the analysis judges) straight to the canary for as long as
 * the analysis runs, so a canary that no user reaches yet can still be judged, without a
 * webhook or a load-test service in the cluster. Off by default: real users' requests are the
 * better evidence.
 */
export type CanaryLoad = {
  description: string;
  /** Stops sending; resolves with what was sent and answered. */
  stop(): Promise<CanaryLoadSummary>;
};

export type CanaryLoadSummary = { rate: number; sent: number; responses: number; errors: number; dropped: number };

/** Long enough for any analysis (its grace period is at most a day); stopped by the caller. */
const UNTIL_STOPPED_MS = 25 * 3_600_000;
const TIMEOUT_MS = 10_000;

export async function startCanaryLoad(target: URL, rate: number): Promise<CanaryLoad> {
  const scenario = await quotesScenario(target, { mix: DEFAULT_QUOTES_MIX, timeoutMs: TIMEOUT_MS });
  const controller = new AbortController();
  const run = runOpenLoop({
    phases: [{ rate, durationMs: UNTIL_STOPPED_MS }],
    source: scenario,
    maxInflight: Math.max(16, Math.ceil(rate)),
    timeoutMs: TIMEOUT_MS,
    sendGraceMs: 20,
    signal: controller.signal,
  });
  return {
    description: `${rate} requests/s, ${scenario.description}`,
    async stop() {
      controller.abort();
      const { overall } = await run;
      return { rate, sent: overall.sent, responses: overall.responses, errors: overall.errors, dropped: overall.dropped };
    },
  };
}
