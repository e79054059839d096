/**
 * Search terms for the `quotes` scenario when the target's own /quotes cannot be read: the most
 * frequent content words of the DummyJSON quotes the service is seeded with (so searches hit).
 */
export const QUOTE_WORDS: readonly string[] = (
  'life people love world work knowledge heart great come soul fear person live success time others find ' +
  'greatest best better want right truth learn change first believe think happy dream mind faith comes take ' +
  'makes become against keep away failure light give help enough thinking place death less seek whatever ' +
  'action wisdom hard look eyes patience down inside tell nation power long feel need born going religion ' +
  'someone back evil hope silence around means everyone happiness today words peace alone last doing lose ' +
  'matter future fire money forget learned advice start body word open true lies wrong listen night tomorrow ' +
  'courage experience living once between whole real wise again still found greater music often small desire ' +
  'speak fight takes nature home sleep anyone imagination succeed language hands beauty dance desires dreams ' +
  'moment kind self women strength beautiful thoughts worth remember different ocean turn hate universe voice ' +
  'pain done knowing understanding lost history gives stand door'
).split(' ');

const STOP_WORDS = new Set(
  (
    'that this with have from your what will they when there their which would about been more than them into ' +
    'only other some then these those were because being could does just like make must should very while where ' +
    'also even ever every after before always never nothing something anything everything over under upon cannot ' +
    'through without within another each same such much many most made said says know good things thing really'
  ).split(' '),
);

/** Content words (4+ letters, no stop words) of quote texts, deduplicated. */
export function wordsOf(texts: Iterable<string>): string[] {
  const words = new Set<string>();
  for (const text of texts) {
    for (const word of text
      .toLowerCase()
      .replace(/[^a-z\s]/g, ' ')
      .split(/\s+/)) {
      if (word.length >= 4 && !STOP_WORDS.has(word)) words.add(word);
    }
  }
  return [...words];
}
