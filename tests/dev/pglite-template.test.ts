import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../bin/dev/embedded-postgres.js';
import { templateFile } from '../../bin/dev/pglite-template.js';

// A new cluster starts from the template of a fresh one instead of running initdb. The tests give
// each start its own template directory and mark the template they put there (a table initdb never
// makes), so what a start loaded is visible in the database it serves.
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qctl-pglite-template-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A template in `templateDir` whose cluster holds table `marker`, made from the installed default one. */
async function markedTemplate(templateDir: string): Promise<string> {
  const source = templateFile();
  expect(source && existsSync(source), 'tests/global-setup.ts leaves the default template in node_modules/.cache/qctl').toBe(true);
  const db = await PGlite.create({ loadDataDir: new Blob([readFileSync(source!)]) });
  await db.exec('CREATE TABLE marker (note text); INSERT INTO marker VALUES ($$from the template$$)');
  const dump = await db.dumpDataDir('none');
  await db.close();
  const file = templateFile(templateDir)!;
  await mkdir(templateDir, { recursive: true });
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  return file;
}

async function markerRows(url: string): Promise<unknown[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT note FROM marker')).rows;
  } finally {
    await client.end();
  }
}

describe('PGlite template', () => {
  it('names the file after the installed PGlite version, beside its node_modules', () => {
    const version = (JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8')) as { version: string }).version;
    expect(templateFile()).toBe(join(process.cwd(), 'node_modules', '.cache', 'qctl', `pglite-${version}-template.tar`));
    expect(templateFile('/elsewhere')).toBe(`/elsewhere/pglite-${version}-template.tar`);
  });

  it('an in-memory database starts from the template', async () => {
    const templateDir = join(dir, 'memory');
    await markedTemplate(templateDir);
    const database = await startEmbeddedPostgres({ templateDir });
    try {
      expect(await markerRows(database.url)).toEqual([{ note: 'from the template' }]);
    } finally {
      await database.stop();
    }
  });

  it('a new data directory starts from the template; an existing one opens as it is', async () => {
    const templateDir = join(dir, 'disk');
    const template = await markedTemplate(templateDir);
    const dataDir = join(dir, 'pgdata');
    const first = await startEmbeddedPostgres({ dataDir, templateDir });
    await first.db.exec(`INSERT INTO marker VALUES ('written later')`);
    await first.stop();
    // The template is replaced by one that is no cluster at all: a restart must not read it.
    writeFileSync(template, 'not a tarball');
    const again = await startEmbeddedPostgres({ dataDir, templateDir });
    try {
      expect(await markerRows(again.url)).toEqual([{ note: 'from the template' }, { note: 'written later' }]);
    } finally {
      await again.stop();
    }
    expect(readFileSync(template, 'utf8')).toBe('not a tarball');
  });

  it('a template PGlite refuses costs an initdb, not the start, and is replaced by a good one', async () => {
    const templateDir = join(dir, 'damaged');
    await mkdir(templateDir, { recursive: true });
    const template = templateFile(templateDir)!;
    writeFileSync(template, 'not a tarball');
    const database = await startEmbeddedPostgres({ templateDir });
    try {
      const rows = await database.db.query<{ ok: number }>('SELECT 1 AS ok');
      expect(rows.rows).toEqual([{ ok: 1 }]);
      await expect(markerRows(database.url)).rejects.toThrow(/relation "marker" does not exist/);
    } finally {
      await database.stop();
    }
    // initdb's cluster became the template: tens of MB, loadable.
    expect(statSync(template).size).toBeGreaterThan(10_000_000);
    const loaded = await PGlite.create({ loadDataDir: new Blob([readFileSync(template)]) });
    expect((await loaded.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await loaded.close();
  });
});
