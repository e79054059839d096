import { stringify } from 'yaml';

/** Multi-document YAML with stable formatting: no line folding, so output is byte-stable. */
export function toYamlDocuments(objects: unknown[]): string {
  return objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
