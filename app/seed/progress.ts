import type { ReembedProgress, ReembedSummary } from './reembed.js';
import type { SeedProgress, SeedSummary } from './seeder.js';

export interface ProgressPrinter {
  seed(progress: SeedProgress): void;
  reembed(progress: ReembedProgress): void;
  /** Clears the bar (interactive) so the summary starts on a clean line. */
  finish(): void;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;
const LINE_EVERY_MS = 2_000;

/**
 * Interactive: one redrawn line with a bar, counts, rate and ETA. Otherwise (CI, pipes,
 * the in-cluster Job): a plain line at most every 2 s and at each phase change, which
 * reads well in `kubectl logs`.
 */
export function createProgressPrinter(stream: NodeJS.WritableStream, interactive: boolean): ProgressPrinter {
  const started = Date.now();
  let lastDraw = 0;
  let lastPhase = '';
  let drawn = false;

  const emit = (phase: string, line: string, force: boolean): void => {
    const now = Date.now();
    const phaseChanged = phase !== lastPhase;
    lastPhase = phase;
    if (interactive) {
      if (!force && !phaseChanged && now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    } else {
      if (!force && !phaseChanged && now - lastDraw < LINE_EVERY_MS) return;
      lastDraw = now;
      stream.write(`${line}\n`);
    }
  };

  return {
    seed(p) {
      const seconds = (Date.now() - started) / 1000;
      // Rate and ETA count what is settled: written, or decided (skipped/invalid).
      const settled = p.inserted + p.skipped + p.invalid;
      const rate = seconds > 0 ? settled / seconds : 0;
      const counts = `fetched ${p.fetched}${p.total !== undefined ? `/${p.total}` : ''}, embedded ${p.embedded}, inserted ${p.inserted}, skipped ${p.skipped}, invalid ${p.invalid}`;
      if (p.phase === 'indexing') return emit(p.phase, 'seed: building the vector index', true);
      if (p.phase === 'filling') return emit(p.phase, `seed: embedding stored quotes that have none (${counts})`, false);
      if (p.phase === 'done') return;
      if (interactive) {
        const total = p.total ?? Math.max(p.fetched, 1);
        const ratio = Math.min(1, settled / total);
        const eta = rate > 0 && p.total !== undefined ? ` ETA ${Math.max(0, Math.ceil((p.total - settled) / rate))}s` : '';
        emit(p.phase, `seed ${bar(ratio)} ${Math.round(ratio * 100)}% ${counts} ${rate.toFixed(0)}/s${eta}`, false);
      } else {
        emit(p.phase, `seed: ${counts} (${rate.toFixed(0)}/s)`, false);
      }
    },
    reembed(p) {
      if (p.phase === 'swapping') return emit(p.phase, `reembed: swapping ${p.total} vectors in one transaction`, true);
      if (p.phase === 'done') return;
      const ratio = p.total ? Math.min(1, p.embedded / p.total) : 1;
      const text = `embedded ${p.embedded}/${p.total}`;
      emit(p.phase, interactive ? `reembed ${bar(ratio)} ${Math.round(ratio * 100)}% ${text}` : `reembed: ${text}`, false);
    },
    finish() {
      if (interactive && drawn) stream.write('\r\x1b[2K');
    },
  };
}

function bar(ratio: number): string {
  const filled = Math.round(ratio * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

/** The closing lines of a seed, for people. */
export function formatSeedSummary(s: SeedSummary): string[] {
  const lines = [
    `seeded from ${s.source} with ${s.model}: fetched ${s.fetched}, new ${s.new}, skipped ${s.skipped} (duplicates), invalid ${s.invalid}` +
      (s.filled ? `, filled ${s.filled} missing embeddings` : ''),
    `embedding requests ${s.embeddingRequests}, tokens ${s.tokens}, elapsed ${(s.elapsedMs / 1000).toFixed(2)}s, vector index ${s.vectorIndex}` +
      (s.vectorIndex === 'unchanged' ? '' : ` (${(s.indexElapsedMs / 1000).toFixed(2)}s)`),
  ];
  const shown = s.invalidRecords.slice(0, 20);
  for (const r of shown) lines.push(`  invalid record #${r.index}: ${r.reason}`);
  if (s.invalidRecords.length > shown.length) lines.push(`  ... and ${s.invalidRecords.length - shown.length} more invalid records`);
  return lines;
}

export function formatReembedSummary(s: ReembedSummary): string[] {
  return [
    `re-embedded ${s.swapped} quotes with ${s.model} (computed ${s.reembedded}, reused ${s.resumed} from an interrupted run)`,
    `embedding requests ${s.embeddingRequests}, tokens ${s.tokens}, elapsed ${(s.elapsedMs / 1000).toFixed(2)}s`,
  ];
}
