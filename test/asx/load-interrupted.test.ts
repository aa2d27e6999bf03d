/**
 * SIGINT to `k2 load asx` while it commits: it says what that leaves behind (the records
 * published so far stay in the data dir's bus) and exits 130 at once; `k2 consume --once`
 * then commits every published row, exactly once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runK2, spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { writeText } from './asx-test-support.js';

describe('k2 load asx interrupted', () => {
  const dir = tempDir('k2-load-int-');
  afterAll(() => dir.cleanup());

  it('explains what is left and exits 130; consume --once commits it', async () => {
    // six trading days of the BHP fixture day: long enough to be interrupted while committing
    const day = readFileSync(join(REPO_ROOT, 'fixtures/asx/trades/7078.csv'), 'utf8');
    const days = ['03/10/2014', '03/11/2014', '03/12/2014', '03/13/2014', '03/14/2014', '03/17/2014'];
    const file = writeText(join(dir.path, 'in', 'trades', '7078.csv'), days.map((d) => day.replaceAll('03/10/2014,', `${d},`)).join(''));
    const dataDir = join(dir.path, 'data');
    const load = spawnK2(['--data-dir', dataDir, 'load', 'asx', file, '--reference', join(REPO_ROOT, 'fixtures/asx/reference-data/company_info.csv')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    load.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => load.on('close', (code) => resolve(code)));
    while (!/INFO\s+published /.test(err)) {
      expect(load.exitCode, err).toBeNull();
      await new Promise((r) => setTimeout(r, 10));
    }
    load.kill('SIGINT');
    expect(await exited, err).toBe(130);
    expect(err).toContain(
      'k2: interrupted: the load stopped before it finished; the records published so far stay in the topics and the next `k2 load asx` or `k2 consume --once` on this data dir commits them',
    );
    const consumed = await runK2(['--data-dir', dataDir, '--log-level', 'warn', 'consume', '--once']);
    expect(consumed.code, consumed.stderr).toBe(0);
    const q = await runK2(['--data-dir', dataDir, '--json', 'query', 'sql', 'SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM trades']);
    expect(q.code, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ n: '102000', d: '102000' }]); // BIGINT as exact text
  }, 180_000);
});
