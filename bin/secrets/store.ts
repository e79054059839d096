import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
