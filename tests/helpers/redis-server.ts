import { spawn, type ChildProcess } from 'node:child_process';
import { requireTool } from './tools.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface RedisServer {
  url: string;
  port: number;
  password: string;
  pid: number;
  /** Stops the server (SIGKILL when `hard`), by its PID. */
  stop(hard?: boolean): Promise<void>;
}

export interface RedisServerOptions {
  /** A fixed port (to restart a server where its clients expect it); default a free one. */
  port?: number;
  /** More redis-server arguments, e.g. `--replicaof 127.0.0.1 6379`. */
  args?: string[];
}

/** A real redis-server (Debian's package) on a free loopback port, with a password. */
export async function startRedisServer(password = 'test-redis-password', options: RedisServerOptions = {}): Promise<RedisServer> {
  requireTool('redis-server', 'redis-server');
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'qctl-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--requirepass',
      password,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...(options.args ?? []),
    ],
    { stdio: 'ignore' },
  );
  await waitForPort(port, child);
  let stopped = false;
  return {
    url: `redis://:${password}@127.0.0.1:${port}`,
    port,
    password,
    pid: child.pid!,
    async stop(hard = false) {
      if (stopped) return;
      stopped = true;
      await killAndWait(child, hard ? 'SIGKILL' : 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with code ${child.exitCode}; is it installed (apt-get install redis-server)?`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`);
}

export async function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
