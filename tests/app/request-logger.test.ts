import { describe, expect, it, vi } from 'vitest';
import { RequestLogger } from '../../app/observability/request-logger.js';
import { capturingLogger } from './support.js';

describe('RequestLogger (the lazy per-request child)', () => {
  it('writes a line with the request id bound, at the levels the parent has enabled', () => {
    const { log, lines } = capturingLogger('warn');
    const makeChild = vi.spyOn(log, 'child');
    const request = new RequestLogger(log, { reqId: 'r-1' }, {});
    request.info({ route: '/quotes' }, 'not written at level warn');
    request.debug('nor this');
    expect(makeChild).not.toHaveBeenCalled(); // nothing logged: no pino child made
    request.warn({ route: '/quotes' }, 'written');
    request.error(new Error('boom'), 'failed');
    expect(lines().map((l) => [l.level, l.reqId, l.msg])).toEqual([
      ['warn', 'r-1', 'written'],
      ['error', 'r-1', 'failed'],
    ]);
    expect(lines()[0]).toMatchObject({ route: '/quotes', service: 'quote-api' });
    expect(makeChild).toHaveBeenCalledTimes(1); // made once, then kept
  });

  it('answers level questions like the parent until it is made, and like its child after', () => {
    const { log } = capturingLogger('info');
    const request = new RequestLogger(log, { reqId: 'r-2' }, {});
    expect(request.level).toBe('info');
    expect(request.isLevelEnabled('info')).toBe(true);
    expect(request.isLevelEnabled('debug')).toBe(false);
    request.level = 'debug';
    expect(request.isLevelEnabled('debug')).toBe(true);
    expect(log.isLevelEnabled('debug')).toBe(false); // the parent keeps its level
  });

  it("honours a route's own log level, and its children keep the request id", () => {
    const { log, lines } = capturingLogger('info');
    const quiet = new RequestLogger(log, { reqId: 'r-3' }, { level: 'error' });
    expect(quiet.level).toBe('error');
    quiet.warn('dropped: the route logs errors only');
    quiet.child({ step: 'embed' }).error('kept');
    expect(lines().map((l) => [l.reqId, l.step, l.msg])).toEqual([['r-3', 'embed', 'kept']]);
  });

  it('redacts secrets like the service logger', () => {
    const { log, lines } = capturingLogger('info');
    new RequestLogger(log, { reqId: 'r-4' }, {}).info({ token: 'sk-secret-value' }, 'with a token');
    expect(JSON.stringify(lines())).not.toContain('sk-secret-value');
    expect(lines()[0]).toMatchObject({ reqId: 'r-4', token: '***' });
  });
});
