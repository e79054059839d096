import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Fake executables (docker, podman, microk8s, kind, minikube, k3d, …) on a temporary PATH.
 * Each one appends its argv as a JSON line to a shared log, prints the scripted stdout/stderr
 * and exits with the scripted code, so the real execa code paths run against them.
 */

export type FakeBinBehaviour = {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Per-subcommand overrides, matched against the argv joined with spaces (prefix match, longest wins). */
  when?: Record<string, { stdout?: string; stderr?: string; exitCode?: number }>;
};

export type FakeBinCall = { bin: string; args: string[] };

export class FakeBins {
  readonly dir: string;
  private readonly logPath: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'qctl-fake-bin-'));
    this.logPath = join(this.dir, 'calls.jsonl');
    writeFileSync(this.logPath, '');
  }

  /** Creates (or replaces) an executable named `name`. */
  add(name: string, behaviour: FakeBinBehaviour = {}): this {
    const specPath = join(this.dir, `${name}.spec.json`);
    writeFileSync(specPath, JSON.stringify(behaviour));
    const script = `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(this.logPath)}, JSON.stringify({ bin: ${JSON.stringify(name)}, args }) + '\\n');
const spec = JSON.parse(fs.readFileSync(${JSON.stringify(specPath)}, 'utf8'));
const line = args.join(' ');
let chosen = spec;
let best = -1;
for (const [prefix, value] of Object.entries(spec.when || {})) {
  if ((line === prefix || line.startsWith(prefix + ' ')) && prefix.length > best) { chosen = value; best = prefix.length; }
}
if (chosen.stdout) process.stdout.write(chosen.stdout);
if (chosen.stderr) process.stderr.write(chosen.stderr);
process.exitCode = chosen.exitCode ?? 0;
`;
    const path = join(this.dir, name);
    writeFileSync(path, script);
    chmodSync(path, 0o755);
    return this;
  }

  /** Every recorded invocation, in order. */
  calls(bin?: string): FakeBinCall[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeBinCall)
      .filter((call) => bin === undefined || call.bin === bin);
  }

  clearCalls(): void {
    writeFileSync(this.logPath, '');
  }

  /**
   * A PATH holding only the fake binaries plus the directory of the running node (so `node`
   * still resolves) and, optionally, git.
   */
  path(options: { withSystem?: boolean } = {}): string {
    const nodeDir = process.execPath.replace(/\/[^/]+$/, '');
    const parts = [this.dir, nodeDir];
    if (options.withSystem) parts.push(process.env.PATH ?? '');
    else parts.push('/usr/bin', '/bin');
    return parts.join(delimiter);
  }

  /**
   * A PATH holding nothing but the named real tools (symlinked from the current PATH; `node` is
   * the running one), for tests that must not see whatever else this machine happens to have
   * installed (a docker client in /usr/bin, podman, ...). The fakes are left out too.
   */
  toolsOnlyPath(tools: string[] = ['node', 'git']): string {
    const toolsDir = join(this.dir, 'tools-only');
    rmSync(toolsDir, { recursive: true, force: true });
    mkdirSync(toolsDir);
    for (const tool of tools) {
      const real = tool === 'node' ? process.execPath : whichOnPath(tool);
      if (!real) throw new Error(`toolsOnlyPath: ${tool} is not on this machine's PATH`);
      symlinkSync(real, join(toolsDir, tool));
    }
    return toolsDir;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function whichOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** `microk8s status --format yaml` output with the given addons enabled. */
export function microk8sStatusYaml(enabled: string[], all = ['dns', 'hostpath-storage', 'registry', 'ingress', 'metrics-server']): string {
  const lines = ['microk8s:', '  running: true', 'addons:'];
  for (const name of new Set([...all, ...enabled])) {
    lines.push(`  - name: ${name}`, `    repository: core`, `    status: ${enabled.includes(name) ? 'enabled' : 'disabled'}`);
  }
  return `${lines.join('\n')}\n`;
}
