import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CLUSTER_NAMES } from '../../infra/clusters.js';
import { ENVIRONMENT_NAMES } from '../../infra/environments.js';
import { synthesize } from '../../infra/main.js';
import { toYaml, toYamlDocuments } from '../../infra/yaml.js';

/** Reads YAML the way both generations of readers do: 1.2 core (yaml default) and 1.1 (go-yaml v2, kubectl). */
function readBack(text: string): { v12: unknown; v11: unknown } {
  return { v12: parse(text), v11: parse(text, { version: '1.1' }) };
}

const TRICKY_STRINGS = [
  '',
  ' ',
  'plain',
  'yes',
  'No',
  'ON',
  'off',
  'y',
  'N',
  'true',
  'False',
  'null',
  'NULL',
  '~',
  '-',
  '- a',
  '?',
  ':',
  'a:',
  'a: b',
  'a:b',
  'a #b',
  '#x',
  '@x',
  '`x',
  '!tag',
  '&anchor',
  '*alias',
  '|',
  '>',
  '%x',
  '"quoted"',
  "'single'",
  '[a]',
  '{a}',
  'a,b',
  ' lead',
  'trail ',
  'two  spaces',
  '0',
  '012',
  '0x1f',
  '0o17',
  '1_000',
  '1e3',
  '-1',
  '+1',
  '.5',
  '1.',
  '1:20',
  '190:20:30',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '500m',
  '2Gi',
  '1.5Gi',
  '1E',
  '1e',
  '2e3',
  '1Ki',
  '0.0.0.0/0',
  '-c',
  '--appendonly',
  '-1x',
  '-.5',
  '--',
  '- -c',
  'a "b" c',
  "it's",
  'x"',
  "'x",
  '"x',
  '.inf',
  '-.Inf',
  '.NaN',
  'NaN',
  'Infinity',
  '=',
  '<<',
  'x\ty',
  'tab\t',
  '\ttab',
  'ümlaut ✓',
  'line\u2028sep',
  'nul\u0000byte',
  'del\u007f',
  'bom\ufeff',
  'redis://:$(REDIS_PASSWORD)@redis.quotes-dev.svc.cluster.local:6379/0',
  '/metrics',
  'app.kubernetes.io/name',
  'sh -c "x"',
  'a\nb',
  'a\nb\n',
  'a\nb\n\n',
  'a\nb\n\n\n',
  '\na',
  '\n\na\n',
  '  indented\nfirst',
  'first\n  indented\n',
  'a\n   \nb',
  'a\r\nb',
  '\n',
  '\n\n',
  ' \n',
  'x\n# not a comment\n--- not a marker\n...\n',
  'trailing spaces  \nkept  ',
  'json {"a": [1, 2]}\n',
];

describe('toYaml', () => {
  it.each(TRICKY_STRINGS.map((s) => [JSON.stringify(s), s]))(
    '%s round-trips as a value, a key and a list item under YAML 1.1 and 1.2',
    (_label, text) => {
      const value = { key: text, [text]: 'as key', list: [text, { nested: text }], deeper: { block: text } };
      const { v12, v11 } = readBack(toYaml(value));
      expect(v12).toEqual(value);
      expect(v11).toEqual(value);
      expect(readBack(toYaml(text)).v12).toEqual(text);
    },
  );

  it('writes numbers, booleans, null and empty collections with their types', () => {
    const value = {
      int: 8080,
      negative: -1,
      float: 0.05,
      yes: true,
      no: false,
      nothing: null,
      empty: {},
      none: [],
      nestedLists: [[1, [2]], []],
      objects: [{ a: 1, b: { c: [] } }],
    };
    const { v12, v11 } = readBack(toYaml(value));
    expect(v12).toEqual(value);
    expect(v11).toEqual(value);
  });

  it('writes readable block YAML', () => {
    expect(
      toYaml({
        metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'x' } },
        ports: [{ name: 'http', port: 80 }],
        data: { 'a.yaml': 'k: v\nl: w\n' },
      }),
    ).toBe(
      [
        'metadata:',
        '  name: x',
        '  labels:',
        '    app.kubernetes.io/name: x',
        'ports:',
        '  - name: http',
        '    port: 80',
        'data:',
        '  a.yaml: |',
        '    k: v',
        '    l: w',
        '',
      ].join('\n'),
    );
  });

  it('every synthesized object of every environment and monitoring mode reads back identical', async () => {
    for (const env of ENVIRONMENT_NAMES) {
      // Flavours change only a few values; two cover both ingress-controller peer shapes.
      for (const cluster of CLUSTER_NAMES.filter((name) => name === 'microk8s' || name === 'generic')) {
        for (const monitoring of ['self', 'operator', 'none']) {
          const { files } = await synthesize({ env, cluster, monitoring, config: false });
          for (const file of files) {
            const text = toYamlDocuments(file.objects);
            const docs12 = parseAllDocuments(text).map((d) => d.toJS());
            const docs11 = parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS());
            expect(docs12, `${env}/${cluster}/${monitoring}/${file.name}`).toEqual(file.objects);
            expect(docs11, `${env}/${cluster}/${monitoring}/${file.name} (YAML 1.1)`).toEqual(file.objects);
          }
        }
      }
    }
  });
});
