import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { execa } from 'execa';
import { checkVariable } from '../../app/config.js';
import { JobError, QctlError, usageError } from '../cli/errors.js';
import { parseOutputMode, printJson } from '../cli/output.js';
import {
  decryptText,
  defaultIdentityPath,
  encryptText,
  findIdentity,
  readRecipients,
  recipientOf,
  requireIdentity,
  RECIPIENTS_FILE,
} from './age.js';
import { formatEnv, isValidKey, parseEnv, type EnvEntries } from './envfile.js';
import { readSecrets, secretsFile, storedRecipientCount, writeSecrets } from './store.js';

/** `qctl secrets init|set|unset|list|edit|import`: the age-encrypted env files in secrets/. */

function checkKey(key: string): void {
  if (!isValidKey(key))
    throw usageError(`invalid key "${key}": keys are letters, digits and _ and do not start with a digit (e.g. OPENAI_API_KEY)`);
}

export async function secretsInit(root: string, env: string, output?: string): Promise<number> {
  const mode = parseOutputMode(output);
  let identity = findIdentity();
  let created = false;
  if (!identity) {
    const key = await generateX25519Identity();
    const path = defaultIdentityPath();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(
      path,
      `# qctl age identity, created ${new Date().toISOString()}\n# public key: ${await identityToRecipient(key)}\n${key}\n`,
      { mode: 0o600 },
    );
    chmodSync(path, 0o600);
    identity = { key, source: path };
    created = true;
  }
  const recipient = await recipientOf(identity);
  const recipientsPath = join(root, RECIPIENTS_FILE);
  const added = !readRecipients(root).includes(recipient);
  if (added) {
    mkdirSync(dirname(recipientsPath), { recursive: true });
    if (!existsSync(recipientsPath))
      writeFileSync(recipientsPath, '# age recipients (public keys) that can decrypt secrets/*.env.age, one per line\n');
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
        added && !fileCreated
          ? `note: ${file} is not yet encrypted for the new recipient: a teammate who can decrypt it runs qctl secrets edit --env ${env}`
          : '',
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
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function current(root: string, env: string): Promise<EnvEntries> {
  if (readRecipients(root).length === 0) throw usageError(`no recipients in ${RECIPIENTS_FILE}: run qctl secrets init --env ${env}`);
  return (await readSecrets(root, env)) ?? {};
}

export async function secretsSet(root: string, env: string, key: string, value: string | undefined, allowEmpty = false): Promise<number> {
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
  // An unset shell variable piped in (printf %s "$UNSET" | qctl secrets set KEY) must not wipe a secret.
  if (secret === '' && !allowEmpty) {
    throw usageError(
      `the value for ${key} is empty (nothing on stdin, or an unset variable?): pass a value, or --allow-empty to store an empty one`,
    );
  }
  // The app refuses a bad value at start-up; refuse it here instead, before it is stored and shipped.
  const problem = checkVariable(key, secret);
  if (problem) throw usageError(`${key} ${problem}; nothing was stored`);
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
  if (!statSync(path).isFile()) throw usageError(`cannot import ${path}: not a regular file; give the path of a .env file`);
  const imported = parseEnv(readFileSync(path, 'utf8'), path);
  const entries = { ...(await current(root, env)), ...imported };
  const file = await writeSecrets(root, env, entries);
  process.stdout.write(
    `imported ${Object.keys(imported).length} keys into ${file}; delete ${path} now (plain .env files are git-ignored and never committed)\n`,
  );
  return 0;
}

/**
 * Where the plaintext lives while the editor runs: RAM-backed /dev/shm when the machine has it,
 * so nothing secret reaches a disk even for a moment; else the temp directory.
 */
function editDirectory(): string {
  try {
    if (statSync('/dev/shm').isDirectory()) return mkdtempSync(join('/dev/shm', 'qctl-secrets-'));
  } catch {
    // no /dev/shm (macOS, Windows): the temp directory, still 0700 and removed on every exit
  }
  return mkdtempSync(join(tmpdir(), 'qctl-secrets-'));
}

/** Rejected edits, kept encrypted next to the file so a failed validation loses nothing. */
function rejectedFile(env: string): string {
  return `${secretsFile(env)}.rejected`;
}

async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(question)).trim().toLowerCase();
    return answer === '' || answer === 'y' || answer === 'yes';
  } finally {
    rl.close();
  }
}

export async function secretsEdit(root: string, env: string): Promise<number> {
  const entries = await current(root, env);
  const file = secretsFile(env);
  const rejectedPath = join(root, rejectedFile(env));
  // Edits refused last time (non-interactive) come back instead of the stored values.
  const resumed = existsSync(rejectedPath);
  const original = formatEnv(entries);
  const startText = resumed
    ? await decryptText(readFileSync(rejectedPath, 'utf8'), requireIdentity(rejectedFile(env)), rejectedFile(env))
    : original;
  if (resumed) process.stderr.write(`resuming your rejected edits from ${rejectedFile(env)}\n`);

  const dir = editDirectory();
  const path = join(dir, `${env}.env`);
  const removeTemp = (): void => rmSync(dir, { recursive: true, force: true });
  // A closed terminal or a kill: the plaintext goes first, then we exit. Ctrl-C is different:
  // it reaches the editor too, which decides (vi ignores it); when the editor ends, nothing is saved.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signal === 'SIGINT') {
      interrupted = true;
      return;
    }
    removeTemp();
    process.stderr.write(`\nqctl secrets edit: ${signal}; nothing saved, the decrypted copy is removed\n`);
    process.exit(128 + (signal === 'SIGHUP' ? 1 : 15));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  process.on('exit', removeTemp);
  try {
    writeFileSync(path, startText, { mode: 0o600 });
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
    for (;;) {
      await runEditor(editor, path, file).catch((error: unknown) => {
        throw interrupted ? new QctlError(`interrupted: nothing saved, ${file} left unchanged`, 130) : error;
      });
      if (interrupted) throw new QctlError(`interrupted: nothing saved, ${file} left unchanged`, 130);
      const text = readFileSync(path, 'utf8');
      let edited: EnvEntries;
      try {
        edited = parseEnv(text, `${file} (edited)`);
      } catch (error) {
        if (!(error instanceof QctlError)) throw error;
        if (process.stdin.isTTY && process.stderr.isTTY) {
          process.stderr.write(`qctl: ${error.message}\n`);
          if (await askYesNo('Re-open the editor to fix it? [Y/n] ')) continue;
        }
        // Nothing is lost and nothing stays in plaintext: the edits are kept encrypted.
        writeFileSync(rejectedPath, await encryptText(text, readRecipients(root)));
        throw usageError(
          `${error.message}; ${file} left unchanged, your edits are kept encrypted in ${rejectedFile(env)}: run qctl secrets edit --env ${env} again to fix them`,
        );
      }
      if (resumed) rmSync(rejectedPath, { force: true });
      // Unchanged content for unchanged recipients: rewriting would only churn git (age output
      // differs on every encryption). A new recipient still gets the file re-encrypted.
      if (formatEnv(edited) === original && storedRecipientCount(root, env) === readRecipients(root).length) {
        process.stdout.write(`no changes: ${file} left as it was\n`);
        return 0;
      }
      const written = await writeSecrets(root, env, edited);
      process.stdout.write(
        `saved ${Object.keys(edited).length} keys to ${written}, encrypted for ${readRecipients(root).length} recipient(s)\n`,
      );
      return 0;
    }
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('exit', removeTemp);
    removeTemp();
  }
}

async function runEditor(editor: string, path: string, file: string): Promise<void> {
  const result = await execa(editor, [path], { stdio: 'inherit', reject: false, shell: /\s/.test(editor) });
  const missing = (result as { code?: string }).code === 'ENOENT' || (result.exitCode === 127 && /\s/.test(editor));
  if (missing) {
    const which = process.env.VISUAL ? 'VISUAL' : process.env.EDITOR ? 'EDITOR' : undefined;
    throw usageError(
      which
        ? `${which} is "${editor}", which cannot be run: set ${which} to an installed editor, e.g. export EDITOR=nano; ${file} left unchanged`
        : `no editor: VISUAL and EDITOR are not set and vi is not installed; set one, e.g. export EDITOR=nano; ${file} left unchanged`,
    );
  }
  if (result.exitCode !== 0) throw new JobError(`${editor} exited with ${result.exitCode ?? result.signal}: ${file} left unchanged`);
}
