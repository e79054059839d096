import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { execa } from 'execa';
import { QctlError, usageError } from '../cli/errors.js';
import { parseOutputMode, printJson } from '../cli/output.js';
import { defaultIdentityPath, findIdentity, readRecipients, recipientOf, RECIPIENTS_FILE } from './age.js';
import { formatEnv, isValidKey, parseEnv, type EnvEntries } from './envfile.js';
import { readSecrets, secretsFile, writeSecrets } from './store.js';

/** `qctl secrets init|set|unset|list|edit|import`: the age-encrypted env files in secrets/. */

function checkKey(key: string): void {
  if (!isValidKey(key)) throw usageError(`invalid key "${key}": keys are letters, digits and _ and do not start with a digit (e.g. OPENAI_API_KEY)`);
}

export async function secretsInit(root: string, env: string, output?: string): Promise<number> {
  const mode = parseOutputMode(output);
  let identity = findIdentity();
  let created = false;
  if (!identity) {
    const key = await generateX25519Identity();
    const path = defaultIdentityPath();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `# qctl age identity, created ${new Date().toISOString()}\n# public key: ${await identityToRecipient(key)}\n${key}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    identity = { key, source: path };
    created = true;
  }
  const recipient = await recipientOf(identity);
  const recipientsPath = join(root, RECIPIENTS_FILE);
  const added = !readRecipients(root).includes(recipient);
  if (added) {
    mkdirSync(dirname(recipientsPath), { recursive: true });
    if (!existsSync(recipientsPath)) writeFileSync(recipientsPath, '# age recipients (public keys) that can decrypt secrets/*.env.age, one per line\n');
    appendFileSync(recipientsPath, `${recipient}\n`);
  }
  const file = secretsFile(env);
  const fileCreated = !existsSync(join(root, file));
  if (fileCreated) await writeSecrets(root, env, {});
  if (mode === 'json') {
    printJson({ identity: identity.source, identityCreated: created, recipient, recipientAdded: added, file, fileCreated });
  } else {
    process.stdout.write(
      [
        `identity: ${identity.source}${created ? ' (created; back it up, it is the only way to decrypt)' : ''}`,
        `recipient: ${recipient}${added ? ` (added to ${RECIPIENTS_FILE})` : ''}`,
        `${file}: ${fileCreated ? 'created (empty)' : 'exists'}`,
        added && !fileCreated ? `note: ${file} is not yet encrypted for the new recipient: a teammate who can decrypt it runs qctl secrets edit --env ${env}` : '',
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
  }
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function current(root: string, env: string): Promise<EnvEntries> {
  if (readRecipients(root).length === 0) throw usageError(`no recipients in ${RECIPIENTS_FILE}: run qctl secrets init --env ${env}`);
  return (await readSecrets(root, env)) ?? {};
}

export async function secretsSet(root: string, env: string, key: string, value: string | undefined): Promise<number> {
  checkKey(key);
  let secret = value;
  if (secret === undefined) {
    if (process.stdin.isTTY) {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      secret = await rl.question(`${key}: `);
      rl.close();
    } else {
      secret = await readStdin();
    }
  }
  const entries = await current(root, env);
  const existed = key in entries;
  entries[key] = secret;
  const file = await writeSecrets(root, env, entries);
  process.stdout.write(`${existed ? 'updated' : 'added'} ${key} in ${file}\n`);
  return 0;
}

export async function secretsUnset(root: string, env: string, key: string): Promise<number> {
  checkKey(key);
  const entries = await current(root, env);
  if (!(key in entries)) throw usageError(`${key} is not set in ${secretsFile(env)}: qctl secrets list --env ${env} shows the keys`);
  delete entries[key];
  const file = await writeSecrets(root, env, entries);
  process.stdout.write(`removed ${key} from ${file}\n`);
  return 0;
}

export async function secretsList(root: string, env: string, output?: string): Promise<number> {
  const mode = parseOutputMode(output);
  const entries = await readSecrets(root, env);
  const file = secretsFile(env);
  const keys = Object.keys(entries ?? {}).sort();
  if (mode === 'json') printJson({ env, file, exists: entries !== undefined, keys });
  else if (entries === undefined) process.stdout.write(`no ${file}: qctl secrets init --env ${env}\n`);
  else process.stdout.write(keys.length ? `${keys.join('\n')}\n` : `${file} is empty\n`);
  return 0;
}

/** Imports a plain .env once (merging over existing keys); the plain file should then be deleted. */
export async function secretsImport(root: string, env: string, path: string): Promise<number> {
  if (!existsSync(path)) throw usageError(`cannot import ${path}: no such file`);
  const imported = parseEnv(readFileSync(path, 'utf8'), path);
  const entries = { ...(await current(root, env)), ...imported };
  const file = await writeSecrets(root, env, entries);
  process.stdout.write(`imported ${Object.keys(imported).length} keys into ${file}; delete ${path} now (plain .env files are git-ignored and never committed)\n`);
  return 0;
}

export async function secretsEdit(root: string, env: string): Promise<number> {
  const entries = await current(root, env);
  const dir = mkdtempSync(join(tmpdir(), 'qctl-secrets-'));
  const path = join(dir, `${env}.env`);
  try {
    writeFileSync(path, formatEnv(entries), { mode: 0o600 });
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
    const result = await execa(editor, [path], { stdio: 'inherit', reject: false, shell: /\s/.test(editor) });
    if (result.exitCode !== 0) throw new QctlError(`${editor} exited with ${result.exitCode}: ${secretsFile(env)} left unchanged`, 1);
    const edited = parseEnv(readFileSync(path, 'utf8'), `${secretsFile(env)} (edited)`);
    const file = await writeSecrets(root, env, edited);
    process.stdout.write(`saved ${Object.keys(edited).length} keys to ${file}, encrypted for ${readRecipients(root).length} recipient(s)\n`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
