import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { targetsFileScenario } from '../../bin/load/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'qctl-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = new URL('http://127.0.0.1:8080/');

function write(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('targets file', () => {
  it('takes inline "# comments" on request and header lines, not inside JSON lines', async () => {
    const file = write('inline.txt', [
      '# a full-line comment',
      'GET /quotes                      # a path is relative to the URL',
      'Authorization: Bearer TOKEN      # header lines apply to the request above them',
      'GET http://127.0.0.1:8080/authors#top',
      '{"method":"POST","url":"/quotes","body":{"quote":"a # is text here","author":"A"}}',
    ]);
    const scenario = await targetsFileScenario(file, base);
    const specs = [scenario.next(), scenario.next(), scenario.next()];
    expect(specs.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /quotes', 'GET /authors', 'POST /quotes']);
    expect(specs[0]!.headers).toEqual({ authorization: 'Bearer TOKEN' });
    expect(specs[2]!.body).toBe('{"quote":"a # is text here","author":"A"}');
  });

  it.each([
    [
      ['GET /ok', 'FROB'],
      2,
      '"FROB" is not a request: write "METHOD /path", "METHOD http://host/path", a header "Name: value", a JSON line or a # comment',
    ],
    [['GET quotes'], 1, '"GET quotes" is not a request'],
    [['GET /a /b'], 1, 'expected "METHOD URL", got "GET /a /b"'],
  ])('refuses %j at line %i, naming the fix', async (lines, line, message) => {
    const file = write(`bad-${line}-${lines.length}.txt`, lines);
    await expect(targetsFileScenario(file, base)).rejects.toThrow(`${file}:${line}: ${message}`);
  });
});
