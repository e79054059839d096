import { describe, expect, it } from 'vitest';
import { startRedisServer } from '../helpers/redis-server.js';
import { requireTool } from '../helpers/tools.js';

describe('a test machine without an apt package', () => {
  it('names the missing program and its package in one line', () => {
    expect(() => requireTool('qctl-no-such-program', 'qctl-no-such-package', '/nonexistent')).toThrow(
      /^qctl-no-such-program is not installed: apt-get install qctl-no-such-package \(every package the tests need is in \.ci\/apt-packages\.txt\)$/,
    );
    expect(() => requireTool('node', 'nodejs', process.env.PATH)).not.toThrow();
  });

  it('startRedisServer without redis-server on PATH rejects with that line, not an uncaught spawn ENOENT', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startRedisServer()).rejects.toThrow(/^redis-server is not installed: apt-get install redis-server/);
    } finally {
      process.env.PATH = path;
    }
  });
});
