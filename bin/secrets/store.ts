import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { armor } from 'age-encryption';
import { decryptText, encryptText, readRecipients, requireIdentity } from './age.js';
import { formatEnv, parseEnv, type EnvEntries } from './envfile.js';

/** secrets/<env>.env.age: the user secrets of one environment (OPENAI_API_KEY, API_TOKEN, …). */
export function secretsFile(env: string): string {
  return `secrets/${env}.env.age`;
}

/** Decrypts and parses the env's secrets; `undefined` when the file does not exist. */
export async function readSecrets(root: string, env: string): Promise<EnvEntries | undefined> {
  const relative = secretsFile(env);
  const path = join(root, relative);
  if (!existsSync(path)) return undefined;
  const identity = requireIdentity(relative);
  const text = await decryptText(readFileSync(path, 'utf8'), identity, relative);
  return parseEnv(text, relative);
}

/** Encrypts entries for every recipient in secrets/recipients.txt; writes atomically. */
export async function writeSecrets(root: string, env: string, entries: EnvEntries): Promise<string> {
  const relative = secretsFile(env);
  const path = join(root, relative);
  const encrypted = await encryptText(formatEnv(entries), readRecipients(root));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, encrypted);
  renameSync(`${path}.tmp`, path);
  return relative;
}

/**
 * How many recipients the stored file is encrypted for (its header has one stanza each), or
 * undefined when that cannot be read. Lets `secrets edit` skip a rewrite only when neither the
 * content nor the recipients changed.
 */
export function storedRecipientCount(root: string, env: string): number | undefined {
  try {
    const text = readFileSync(join(root, secretsFile(env)), 'utf8');
    const bytes = text.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----') ? armor.decode(text) : new TextEncoder().encode(text);
    const header = new TextDecoder().decode(bytes.subarray(0, 64 * 1024)).split('\n---')[0]!;
    return header.split('\n').filter((line) => line.startsWith('-> X25519 ')).length;
  } catch {
    return undefined;
  }
}
