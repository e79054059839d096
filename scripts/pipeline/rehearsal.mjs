// `npm run pipeline -- rehearse`: the pipeline's steps in the order CI runs them, on this machine.
// Without a cluster: manifests, then the load gate against a throwaway `qctl dev`. With
// QCTL_TEST_KUBE_ASSETS naming the kube-assets folder (a real kube-apiserver with its controllers):
// deploy to staging, a clean diff after it, the prod canary (first release, re-run, new image,
// abort). Everything started here is stopped by PID, and temporary files are removed.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runStep, settingsFrom } from './steps.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitReady(url, child, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`qctl dev exited with ${child.exitCode} before it was ready`);
    try {
      if ((await globalThis.fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`qctl dev was not ready at ${url} within ${deadlineMs / 1000}s`);
}

function stopByPid(child) {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

/** One phase: runs a step with extra environment, checks its exit code, says what happened. */
async function phase(results, name, step, env, extraEnv, expect = 0, options = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, extraEnv);
  try {
    const code = await runStep(step, env, settingsFrom(process.env), options);
    const ok = code === expect;
    results.push({ name, step, env: env ?? null, code, ok });
    console.error(`rehearse: ${ok ? 'ok  ' : 'FAIL'} ${name} (exit ${code}${ok ? '' : `, expected ${expect}`})`);
    return ok;
  } finally {
    process.env = saved;
  }
}

async function localPhases(results, work) {
  const common = { DIST_DIR: join(work, 'dist'), REPORT_DIR: join(work, 'reports') };
  if (!(await phase(results, 'manifests: synth --all + validate', 'manifests', undefined, common))) return;

  const port = await freePort();
  const dev = spawn(process.execPath, [join(root, 'bin/qctl.mjs'), 'dev', '--ephemeral', '--port', String(port)], {
    cwd: root,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    // A first start seeds 1423 quotes: seconds on a quiet machine, minutes on a loaded one.
    await waitReady(`http://127.0.0.1:${port}/readyz`, dev, 600_000);
    await phase(results, 'load gate against qctl dev', 'load-gate', 'staging', {
      ...common,
      LOAD_TARGET: `http://127.0.0.1:${port}`,
      LOAD_RATE: process.env.LOAD_RATE || '20',
      LOAD_DURATION: process.env.LOAD_DURATION || '5s',
    });
    const report = join(common.REPORT_DIR, 'load-report.html');
    const ok = existsSync(report) && existsSync(join(common.REPORT_DIR, 'load-result.json'));
    results.push({ name: 'load gate wrote its HTML report and JSON result', ok });
    console.error(`rehearse: ${ok ? 'ok  ' : 'FAIL'} load gate wrote ${report}`);
  } finally {
    await stopByPid(dev);
  }
}

async function clusterPhases(results, work, kubeAssets) {
  const dir = join(work, 'kube');
  const cacheDir = process.env.KUBE_ASSETS_CACHE || join(tmpdir(), 'kube-assets-cache');
  const { stdout } = await run(join(kubeAssets, 'start'), ['--dir', dir, '--microk8s', '--crds', join(root, 'infra/crds')], {
    env: { ...process.env, KUBE_ASSETS_CACHE: cacheDir },
    timeout: 180_000,
  });
  const kubeconfig = /KUBECONFIG=(\S+)/.exec(stdout)?.[1];
  if (!kubeconfig) throw new Error(`kube-assets start printed no KUBECONFIG line: ${stdout}`);
  try {
    const cluster = {
      KUBECONFIG: kubeconfig,
      QCTL_CLUSTER: 'microk8s',
      QCTL_CONTEXT: 'microk8s',
      DIST_DIR: join(work, 'dist'),
      REPORT_DIR: join(work, 'reports'),
      // The stand-in kubelet runs no container, so no image needs to exist.
      QCTL_IMAGE: '127.0.0.1:32000/quote-api:rehearsal-1',
      HOME: work,
      QCTL_TIMEOUT: '3m',
    };
    // kube-assets has static volumes of 5 and 20 GiB only: prod's 50 GiB Prometheus volume would
    // never bind, so prod is rehearsed without monitoring (staging keeps it).
    const prod = { ...cluster, QCTL_MONITORING: 'none' };
    const phases = [
      ['deploy staging', 'deploy', 'staging', cluster],
      ['diff staging after deploy is clean', 'diff', 'staging', cluster, { failOnChanges: true }],
      ['prod: first release is a plain up', 'canary', 'prod', prod],
      ['prod: a re-run releases nothing', 'canary', 'prod', prod],
      [
        'prod: a new image goes out as a canary',
        'canary',
        'prod',
        { ...prod, QCTL_IMAGE: '127.0.0.1:32000/quote-api:rehearsal-2', CANARY_ANALYSIS: 'off' },
      ],
      ['prod: abort removes the canary', 'abort', 'prod', prod],
    ];
    // Each phase builds on the one before: stop at the first that fails.
    for (const [name, step, env, extraEnv, options] of phases) {
      if (!(await phase(results, name, step, env, extraEnv, 0, options))) break;
    }
  } finally {
    await run(join(kubeAssets, 'stop'), ['--dir', dir, '--wipe'], { timeout: 60_000 }).catch((error) => {
      console.error(`rehearse: could not stop the API server in ${dir}: ${error.message}`);
    });
  }
}

/** Runs the rehearsal; resolves to the exit code (0 when every phase did what CI expects). */
export async function rehearse({ kubeAssets } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'qctl-pipeline-'));
  const results = [];
  try {
    await localPhases(results, work);
    if (kubeAssets) await clusterPhases(results, work, kubeAssets);
    else console.error('rehearse: cluster steps skipped (set QCTL_TEST_KUBE_ASSETS to the kube-assets folder to run them)');
  } catch (error) {
    results.push({ name: 'rehearsal', ok: false, error: error.message });
    console.error(`rehearse: FAIL ${error.message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(JSON.stringify({ phases: results, passed: results.length - failed, failed }));
  return failed === 0 && results.length > 0 ? 0 : 1;
}
