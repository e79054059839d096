import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * The real API server tier (tests/kube-real) runs when QCTL_TEST_KUBE_ASSETS names a kube-assets
 * folder (envtest's KUBEBUILDER_ASSETS convention). Each test file starts its own instance under
 * the directory made here; the teardown stops and wipes whatever is left, also after an
 * interrupted run. Without the variable the tier is skipped, and this prints the one line saying so.
 */
export default function setup(project: TestProject): () => void {
  const assets = process.env.QCTL_TEST_KUBE_ASSETS;
  if (!assets) {
    // Said when the run may include the tier: no file filter, or one naming it.
    const filters = process.argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'run' && !a.endsWith('vitest'));
    if (filters.length === 0 || filters.some((f) => f.includes('kube-real'))) {
      console.log('real API server tier skipped: set QCTL_TEST_KUBE_ASSETS to a kube-assets folder to run tests/kube-real');
    }
    return () => {};
  }
  // Instances and the decompressed binaries go to writable temp dirs: the assets folder may be read-only.
  const instances = mkdtempSync(join(tmpdir(), 'qctl-kube-real-'));
  const cache = process.env.KUBE_ASSETS_CACHE || join(tmpdir(), 'qctl-kube-assets-cache');
  mkdirSync(cache, { recursive: true });
  project.provide('kubeInstances', instances);
  project.provide('kubeAssetsCache', cache);
  return () => {
    if (!existsSync(instances)) return;
    for (const dir of readdirSync(instances)) {
      spawnSync(join(assets, 'stop'), ['--dir', join(instances, dir), '--wipe'], { stdio: 'ignore', timeout: 60_000 });
    }
    rmSync(instances, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kubeInstances: string;
    kubeAssetsCache: string;
  }
}
