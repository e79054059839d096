import { availableParallelism } from 'node:os';
import { usageError } from '../cli/errors.js';
import { isLocalHost } from './target.js';

/** Why `--workers N` ran fewer local threads than asked: the report's `generator.workersCap`. */
export interface WorkersCap {
  asked: number;
  used: number;
  cores: number;
  /** The loopback host the target answers on (the first one, when a targets file has several). */
  host: string;
  note: string;
}

/**
 * The cores qctl load plans its threads for: QCTL_LOAD_CORES when set (a container whose CPU
 * quota Node does not see, or a test that needs a given count), else os.availableParallelism().
 */
export function loadCores(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.QCTL_LOAD_CORES?.trim();
  if (text === undefined || text === '') return availableParallelism();
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw usageError(`invalid QCTL_LOAD_CORES "${text}": use a whole number of cores above 0, e.g. QCTL_LOAD_CORES=4, or unset it`);
  }
  return Number(text);
}

/**
 * Local worker threads for a run: at most max(1, floor(cores / 2)) when a target is on this
 * machine, so that the target keeps the other half of the cores. A generator thread at its
 * ceiling keeps a core busy, and so does the server it loads: threads that take the target's
 * cores lower the very ceiling they measure (on 2 cores, two threads and the server are three
 * busy threads, and `--workers 2` sustained 0.55-0.58x of one process in bench:load).
 *
 * "On this machine" is a loopback target (127.0.0.0/8, ::1, localhost, *.localhost, and the
 * wildcard-DNS names of loopback such as quotes.127.0.0.1.nip.io): whatever answers there is a
 * process here. That includes `--port-forward`: qctl relays every forwarded connection itself,
 * in its main thread (a WebSocket to the Kubernetes API per connection, see
 * bin/kube/port-forward.ts), so the relay, and with a laptop cluster the API server and the pod,
 * take CPU from the same cores even though the API pod is "in the cluster". A remote target is
 * not capped (more threads than cores only draws a warning); in-cluster pods are not threads here.
 */
export function capLocalWorkers(asked: number, cores: number, origins: string[]): { used: number; cap: WorkersCap | null } {
  const limit = Math.max(1, Math.floor(cores / 2));
  const host = origins.map((origin) => new URL(origin).hostname.replace(/^\[|\]$/g, '')).find((hostname) => isLocalHost(hostname));
  if (host === undefined || asked <= limit) return { used: asked, cap: null };
  const note = `${limit} of ${asked} asked — the target is on this machine (${host}) and shares its ${cores} cores; more threads would take CPU from the target`;
  return { used: limit, cap: { asked, used: limit, cores, host, note } };
}
