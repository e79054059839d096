import { createHash } from 'node:crypto';
import { InfraUsageError } from './errors.js';

export interface ImageRef {
  /** The full reference as written into the manifests. */
  ref: string;
  /** Registry + path, without tag or digest. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

const REFERENCE =
  /^(?<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/**
 * Parses an image reference and insists on a pin: a tag other than `latest`, or a digest.
 * `flag` names the option in errors (e.g. `--image`).
 */
export function parseImageRef(ref: string, flag = '--image'): ImageRef {
  const match = REFERENCE.exec(ref.trim());
  if (!match?.groups) {
    throw new InfraUsageError(`invalid ${flag} "${ref}": use registry/repository:tag, e.g. 127.0.0.1:32000/quote-api:git-3f2a1bc`);
  }
  const { repository, tag, digest } = match.groups as { repository: string; tag?: string; digest?: string };
  if (!tag && !digest) {
    throw new InfraUsageError(`invalid ${flag} "${ref}": the image has no tag; pin it, e.g. ${repository}:git-3f2a1bc`);
  }
  if (tag === 'latest') {
    throw new InfraUsageError(`invalid ${flag} "${ref}": the tag "latest" is not allowed; use a content-addressed tag such as the git sha`);
  }
  return { ref: ref.trim(), repository, tag: tag ?? null, digest: digest ?? null };
}

export function imageFromSettings(image: { registry: string | null; repository: string; tag: string }): ImageRef {
  const repository = image.registry ? `${image.registry}/${image.repository}` : image.repository;
  return parseImageRef(`${repository}:${image.tag}`, 'image setting');
}

/**
 * The version a pod reports (APP_VERSION: the `version` metric label and response header): the
 * image tag, or for a digest-only reference `sha256-` and the digest's first 12 hex digits.
 */
export function imageVersion(image: ImageRef): string {
  return image.tag ?? image.digest!.replace('sha256:', 'sha256-').slice(0, 19);
}

/**
 * A DNS-label-safe version of the image tag for Job names: a new image gets a new Job
 * (Job specs are immutable). Long tags keep a readable prefix plus a hash so names stay unique.
 */
export function imageNameSuffix(image: ImageRef): string {
  const source = image.tag ?? image.digest!.replace('sha256:', 'sha-').slice(0, 16);
  const safe =
    source
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'image';
  if (safe.length <= 40) return safe;
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 8);
  return `${safe.slice(0, 31).replace(/-+$/, '')}-${hash}`;
}
