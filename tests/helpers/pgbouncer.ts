import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgbouncerAuthScript, pgbouncerIni } from '../../infra/charts/pgbouncer.js';
import { freePort } from './ports.js';
import { killAndWait } from './redis-server.js';
import { requireTool } from './tools.js';

export interface RunningPgbouncer {
  port: number;
  /** A postgres:// URL through the pooler to `database`. */
  url(database: string): string;
  stop(): Promise<void>;
}

/** PgBouncer refuses to run as root; as root the files and the process belong to `nobody`. */
const NOBODY = 65534;

/**
 * A real PgBouncer (Debian's package) configured by the same pgbouncerIni() and auth script
 * the cluster's pooler uses, in front of `server`; only the addresses and directories differ.
 */
export async function startPgbouncer(options: {
  serverHost: string;
  serverPort: number;
  user: string;
  password: string;
  poolSize: number;
  maxClientConnections?: number;
}): Promise<RunningPgbouncer> {
  if (!existsSync('/usr/sbin/pgbouncer')) requireTool('pgbouncer', 'pgbouncer');
  const dir = mkdtempSync(join(tmpdir(), 'qctl-pgbouncer-'));
  const asNobody = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
  if (asNobody.uid !== undefined) {
    chownSync(dir, NOBODY, NOBODY);
    chmodSync(dir, 0o700);
  }
  const auth = spawnSync('sh', ['-c', pgbouncerAuthScript(dir)], {
    env: { PATH: process.env.PATH, PGUSER: options.user, PGPASSWORD: options.password },
    ...asNobody,
  });
  if (auth.status !== 0) throw new Error(`the pooler's auth script failed: ${auth.stderr.toString()}`);
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    pgbouncerIni({
      serverHost: options.serverHost,
      serverPort: options.serverPort,
      listenAddress: '127.0.0.1',
      listenPort: port,
      serverTls: 'disable',
      poolSize: options.poolSize,
      maxClientConnections: options.maxClientConnections ?? 100,
      authDir: dir,
    }),
  );
  if (asNobody.uid !== undefined) chownSync(ini, NOBODY, NOBODY);
  let output = '';
  const child = spawn(existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer', [ini], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...asNobody,
  });
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const deadline = Date.now() + 10_000;
  while (!/listening on/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer did not start (is it installed? apt-get install pgbouncer): ${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: (database) =>
      `postgres://${encodeURIComponent(options.user)}:${encodeURIComponent(options.password)}@127.0.0.1:${port}/${database}`,
    async stop() {
      await killAndWait(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
