import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReportSchema } from '../../bin/load/report-schema.js';
import { runQctl } from '../helpers/cli.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { startTarget, type Target } from './fixtures/target.js';

/**
 * A fake Kubernetes API for `qctl load --env E --port-forward`: it lists one ready API pod and
 * serves the pod portforward WebSocket (channel protocol v4/v5: a 2-byte port header per channel,
 * then data frames on channel 0), relaying each forwarded connection to a local target server.
 * The generic fake Kubernetes API has no WebSocket support, so this one lives here.
 */

// `ws` comes with @kubernetes/client-node; it has no type declarations here, so it is typed at the use.
type WsSocket = {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'close', listener: () => void): void;
  send(data: Buffer): void;
  close(): void;
  readyState: number;
};
type WsServer = {
  handleUpgrade(req: unknown, socket: unknown, head: Buffer, done: (ws: WsSocket) => void): void;
  close(): void;
};
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: new (options: { noServer: true }) => WsServer };

const POD = 'quote-api-6d9f7c-abcde';
let target: Target;
let server: Server;
let apiUrl: string;
let kubeconfig: string;
const forwards: { path: string; open: boolean }[] = [];
const tcp = new Set<Socket>();

beforeAll(async () => {
  target = await startTarget();
  const targetPort = Number(new URL(target.url).port);
  const wss = new WebSocketServer({ noServer: true });
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url?.startsWith('/api/v1/namespaces/quotes-dev/pods?')) {
      res.end(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'PodList',
          metadata: {},
          items: [
            {
              metadata: { name: 'quote-api-old', namespace: 'quotes-dev' },
              status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
            },
            {
              metadata: { name: POD, namespace: 'quotes-dev' },
              status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
            },
          ],
        }),
      );
      return;
    }
    // Every API server answers /version; qctl asks it first to tell an unreachable cluster apart.
    if (req.method === 'GET' && req.url === '/version') {
      res.end(JSON.stringify({ major: '1', minor: '31', gitVersion: 'v1.31.0-fake', platform: 'linux/amd64' }));
      return;
    }
    res.statusCode = 404;
    res.end(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: `no ${req.url}` }),
    );
  });
  server.on('upgrade', (req, socket, head) => {
    const path = req.url ?? '';
    if (!path.startsWith(`/api/v1/namespaces/quotes-dev/pods/${POD}/portforward?ports=8080`)) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const record = { path, open: true };
      forwards.push(record);
      const upstream = connect(targetPort, '127.0.0.1');
      tcp.add(upstream);
      const port = Buffer.alloc(2);
      port.writeUInt16LE(8080);
      ws.send(Buffer.concat([Buffer.from([0]), port]));
      ws.send(Buffer.concat([Buffer.from([1]), port]));
      upstream.on('data', (chunk: Buffer) => ws.readyState === 1 && ws.send(Buffer.concat([Buffer.from([0]), chunk])));
      upstream.on('close', () => {
        tcp.delete(upstream);
        ws.close();
      });
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0) upstream.write(data.subarray(1));
        else if (data[0] === 255) upstream.end();
      });
      ws.on('close', () => {
        record.open = false;
        upstream.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // The shared helper writes the kubeconfig; the server it points at is this one.
  const helper = new FakeKubeApi();
  kubeconfig = helper.writeKubeconfig(['microk8s'], { server: apiUrl });
});

afterAll(async () => {
  for (const socket of tcp) socket.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await target?.stop();
});

describe('qctl load --env E --port-forward', () => {
  it('forwards a local port to a ready API pod for the run, loads through it, and closes it afterwards', async () => {
    const before = (await target.stats()).count;
    const result = await runQctl(['load', '--env', 'dev', '--port-forward', '--rate', '20', '--duration', '1s', '--output', 'json'], {
      env: { KUBECONFIG: kubeconfig },
      timeoutMs: 20_000,
    });
    expect(result.stderr).toMatch(new RegExp(`port-forward 127\\.0\\.0\\.1:\\d+ -> quotes-dev/${POD}:8080`));
    expect(result.exitCode).toBe(0);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    // The quotes scenario ran through the forward, against the pod's answers.
    expect(report.target.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(report.target.scenario).toBe('quotes');
    expect(report.statusCodes).toEqual({ '200': 20 });
    expect((await target.stats()).count - before).toBe(20);
    // Only the ready pod was used, and every forwarded connection is closed once qctl is done.
    expect(forwards.length).toBeGreaterThan(0);
    expect(forwards.every((f) => f.path.includes(`/pods/${POD}/portforward`))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(forwards.filter((f) => f.open)).toEqual([]);
  });

  it('caps local threads there too: the forward is relayed by qctl itself, on this machine', async () => {
    const result = await runQctl(
      ['load', '--env', 'dev', '--port-forward', '--workers', '2', '--rate', '20', '--duration', '1s', '--output', 'json'],
      { env: { KUBECONFIG: kubeconfig, QCTL_LOAD_CORES: '2' }, timeoutMs: 20_000 },
    );
    expect(result.exitCode).toBe(0);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.generator.workersCap).toMatchObject({ asked: 2, used: 1, cores: 2, host: '127.0.0.1' });
    expect(report.workers).toBeNull();
    expect(report.statusCodes).toEqual({ '200': 20 });
  });
});
