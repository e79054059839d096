import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Decrypter, Encrypter, armor, identityToRecipient } from 'age-encryption';
import { usageError } from '../cli/errors.js';

/**
 * age identities and recipients. Recipients (public keys) live in the repo at
 * secrets/recipients.txt so anyone can encrypt for the team; the identity (private key) comes
 * from QCTL_AGE_KEY (the key itself or a path to a key file) or ~/.config/qctl/age.txt.
 */

export const RECIPIENTS_FILE = 'secrets/recipients.txt';

export function defaultIdentityPath(): string {
  return join(homedir(), '.config', 'qctl', 'age.txt');
}

export type Identity = { key: string; source: string };

/** Reads the first AGE-SECRET-KEY line of a key file (age-keygen format, with comments). */
function keyFromText(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.startsWith('AGE-SECRET-KEY-'));
}

/** The user's identity, or undefined when none is configured. */
export function findIdentity(): Identity | undefined {
  const fromEnv = process.env.QCTL_AGE_KEY?.trim();
  if (fromEnv) {
    if (fromEnv.startsWith('AGE-SECRET-KEY-')) return { key: fromEnv, source: 'QCTL_AGE_KEY' };
    if (existsSync(fromEnv)) {
      if (!statSync(fromEnv).isFile())
        throw usageError(`QCTL_AGE_KEY points at ${fromEnv}, which is not a file: point it at an age key file or set it to the key itself`);
      const key = keyFromText(readFileSync(fromEnv, 'utf8'));
      if (!key) throw usageError(`QCTL_AGE_KEY points at ${fromEnv}, which holds no AGE-SECRET-KEY line: point it at an age key file`);
      return { key, source: fromEnv };
    }
    throw usageError('QCTL_AGE_KEY is neither an age key (AGE-SECRET-KEY-1...) nor an existing key file: fix the variable');
  }
  const path = defaultIdentityPath();
  if (!existsSync(path)) return undefined;
  if (!statSync(path).isFile()) throw usageError(`${path} is not a file: restore the age key file there or set QCTL_AGE_KEY`);
  const key = keyFromText(readFileSync(path, 'utf8'));
  if (!key) throw usageError(`${path} holds no AGE-SECRET-KEY line: restore the key file or set QCTL_AGE_KEY`);
  return { key, source: path };
}

export function requireIdentity(forFile: string): Identity {
  const identity = findIdentity();
  if (!identity) {
    throw usageError(
      `no age key to decrypt ${forFile}: set QCTL_AGE_KEY or create ${defaultIdentityPath()} (qctl secrets init), then ask a teammate to add your recipient`,
    );
  }
  return identity;
}

export async function recipientOf(identity: Identity): Promise<string> {
  try {
    return await identityToRecipient(identity.key);
  } catch {
    throw usageError(`the age key from ${identity.source} is malformed: expected AGE-SECRET-KEY-1...`);
  }
}

export function readRecipients(repoRoot: string): string[] {
  const path = join(repoRoot, RECIPIENTS_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

export async function encryptText(text: string, recipients: string[]): Promise<string> {
  if (recipients.length === 0) throw usageError(`no recipients in ${RECIPIENTS_FILE}: run qctl secrets init`);
  const encrypter = new Encrypter();
  for (const recipient of recipients) {
    try {
      encrypter.addRecipient(recipient);
    } catch {
      throw usageError(
        `${RECIPIENTS_FILE} has an invalid recipient "${recipient.slice(0, 20)}...": each line must be an age1... public key`,
      );
    }
  }
  // Armored text keeps the encrypted files reviewable in git diffs.
  return armor.encode(await encrypter.encrypt(text));
}

export async function decryptText(data: string, identity: Identity, file: string): Promise<string> {
  const decrypter = new Decrypter();
  try {
    decrypter.addIdentity(identity.key);
  } catch {
    throw usageError(`the age key from ${identity.source} is malformed: expected AGE-SECRET-KEY-1...`);
  }
  let bytes: Uint8Array;
  try {
    bytes = data.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----') ? armor.decode(data) : new TextEncoder().encode(data);
  } catch {
    throw usageError(`${file} is not an age file: restore it from git`);
  }
  try {
    return await decrypter.decrypt(bytes, 'text');
  } catch (error) {
    const message = (error as Error).message;
    if (/no identity matched/i.test(message)) {
      throw usageError(
        `cannot decrypt ${file} with the age key from ${identity.source}: it is not one of the file's recipients; add your recipient to ${RECIPIENTS_FILE} and have a teammate run qctl secrets edit`,
      );
    }
    throw usageError(`cannot decrypt ${file}: ${message}`);
  }
}
