import { describe, expect, it } from 'vitest';
import { poolSizeFor, BURST_MS } from '../../bin/load/client.js';
import { Schedule } from '../../bin/load/schedule.js';

/** mulberry32: a seeded generator, so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Walks a schedule with the given clock readings; returns every send handed out, per reading. */
function walk(schedule: Schedule, readings: number[]): { phase: number; dueMs: number; at: number }[] {
  const sends: { phase: number; dueMs: number; at: number }[] = [];
  for (const at of readings) schedule.takeDue(at, (phase, dueMs) => sends.push({ phase: phase.index, dueMs, at }));
  return sends;
}

describe('the open-loop schedule (batched: one tick takes every send due)', () => {
  it('hands out exactly the scheduled sends at their own due times, whatever the clock readings (100 random cases)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const next = random(seed);
      const phases = Array.from({ length: 1 + Math.floor(next() * 4) }, () => ({
        rate: 1 + Math.floor(next() * 2000),
        durationMs: 1 + Math.floor(next() * 2000),
      }));
      const schedule = new Schedule(phases);
      // Clock readings that move forward in irregular jumps (a late timer, a pause), then past the end.
      const readings = Array.from({ length: Math.floor(next() * 30) }, () => next() * schedule.plannedEndMs).sort((a, b) => a - b);
      readings.push(schedule.plannedEndMs);
      const sends = walk(schedule, readings);

      const expected: { phase: number; dueMs: number }[] = [];
      let start = 0;
      phases.forEach((p, index) => {
        const count = Math.max(1, Math.round((p.rate * p.durationMs) / 1000));
        for (let i = 0; i < count; i++) expected.push({ phase: index, dueMs: start + (i * 1000) / p.rate });
        start += p.durationMs;
      });
      expect(sends.length, `seed ${seed}`).toBe(expected.length);
      // Due times equal to i / rate (up to floating-point rounding), in order, none twice or missing.
      expect(sends.map((s) => s.phase)).toEqual(expected.map((e) => e.phase));
      expect(Math.max(...sends.map((s, i) => Math.abs(s.dueMs - expected[i]!.dueMs)))).toBeLessThan(1e-6);
      // Never early, and each at the first reading at or after its due time (nothing held back).
      const early = sends.filter((s) => s.dueMs > s.at);
      const heldBack = sends.filter((s) => s.at !== readings.find((r) => r >= s.dueMs));
      expect({ early, heldBack }, `seed ${seed}`).toEqual({ early: [], heldBack: [] });
      expect(schedule.done).toBe(true);
      expect(schedule.nextDueMs()).toBeNull();
    }
  });

  it('gives the next due time for the timer, across phase boundaries', () => {
    const schedule = new Schedule([
      { rate: 1000, durationMs: 3 },
      { rate: 500, durationMs: 4 },
    ]);
    expect(schedule.nextDueMs()).toBe(0);
    expect(schedule.takeDue(1.5, () => undefined)).toBe(2);
    expect(schedule.nextDueMs()).toBe(2);
    expect(schedule.takeDue(2.9, () => undefined)).toBe(1);
    // The second phase starts at 3 ms and sends every 2 ms.
    expect(schedule.nextDueMs()).toBe(3);
    expect(schedule.currentPhase.rate).toBe(500);
    expect(schedule.takeDue(100, () => undefined)).toBe(2);
    expect(schedule.done).toBe(true);
    expect(schedule.plannedEndMs).toBe(7);
  });
});

describe('connection pool sizing', () => {
  it('opens what the rate keeps busy plus a burst, within 1 and --max-inflight', () => {
    // 3,000 req/s at 1 ms: 3 busy, plus 10 ms of sends bunched by a late timer.
    expect(poolSizeFor(3000, 1, 1000)).toBe(Math.ceil((3000 * (1 + BURST_MS)) / 1000));
    expect(poolSizeFor(3000, 1, 16)).toBe(16);
    expect(poolSizeFor(1, 0, 1000)).toBe(1);
    expect(poolSizeFor(1000, 40, 1000)).toBe(50);
  });
});
