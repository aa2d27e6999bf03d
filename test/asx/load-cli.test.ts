import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { fixture, writeText } from './asx-test-support.js';

const tmp = tempDir('k2-asx-cli-');
afterAll(() => tmp.cleanup());

describe('k2 load asx (real CLI)', () => {
  it('--dry-run --json prints exactly the summary contract', async () => {
    const dataDir = join(tmp.path, 'data1');
    const r = await runK2(['--data-dir', dataDir, 'load', 'asx', fixture('trades', '7181.csv'), fixture('quotes', '7181.csv'), fixture('trades', '3153.csv'), '--dry-run', '--json']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['files', 'rows_read', 'rows_valid', 'rows_rejected', 'by_symbol']);
    expect(out).toEqual({
      files: 3,
      rows_read: 232 + 549 + 11,
      rows_valid: 232 + 549 + 11,
      rows_rejected: 0,
      by_symbol: {
        DVN: {
          trades: 232,
          quotes: 549,
          first_ts: expect.any(String),
          last_ts: '2014-03-14T07:50:01.127000Z', // the last quote (18:50:01.127 AEDT); first/last span trades and quotes
          sum_quantity: '449097',
          sum_notional: '298229.5275',
        },
        MWR: {
          trades: 11,
          quotes: 0,
          first_ts: '2014-03-10T02:50:38.849000Z',
          last_ts: '2014-03-12T23:24:43.740000Z',
          sum_quantity: '32267',
          sum_notional: '37436.7',
        },
      },
    });
    const dvn = (out.by_symbol as Record<string, Record<string, unknown>>).DVN!;
    expect(Object.keys(dvn)).toEqual(['trades', 'quotes', 'first_ts', 'last_ts', 'sum_quantity', 'sum_notional']);
    expect(dvn.first_ts).toMatch(/^2014-03-09T\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('prints a table for people, and writes rejected rows to <data-dir>/dead-letter', async () => {
    const dataDir = join(tmp.path, 'data2');
    const bad = writeText(
      join(tmp.path, 'bad', 'trades', '3153.csv'),
      '03/10/2014,13:50:38.849,1.11,3667,0,,\r\n03/10/2014,13:55:41.879,x,1633,0,,\r\n03/10/2014,13:55:41.879,1.11,3000,0,,\r\n',
    );
    const r = await runK2(['--data-dir', dataDir, 'load', 'asx', bad, '--reference', fixture('reference-data', 'company_info.csv'), '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^symbol\s+trades\s+quotes\s+first_ts\s+last_ts\s+sum_quantity\s+sum_notional/);
    expect(r.stdout).toMatch(/MWR\s+2\s+0\s+2014-03-10T02:50:38\.849000Z\s+2014-03-10T02:55:41\.879000Z\s+6667\s+7400\.37/);
    expect(r.stdout).toMatch(/3 rows read, 2 valid, 1 rejected/);
    const files = readdirSync(join(dataDir, 'dead-letter'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^asx-.*\.jsonl$/);
    const entry = JSON.parse(readFileSync(join(dataDir, 'dead-letter', files[0]!), 'utf8').trim()) as Record<string, unknown>;
    expect(entry).toMatchObject({ file: bad, line: 2, field: 'Price', raw: '03/10/2014,13:55:41.879,x,1633,0,,' });
    expect(entry.reason).toMatch(/Price not a decimal number/);
    expect(r.stderr).toMatch(/rows rejected/);
  });

  it('fails clearly when a raw file has no symbol mapping, or a file is not trades or quotes', async () => {
    const lone = writeText(join(tmp.path, 'lone', '3153.csv'), '03/10/2014,13:50:38.849,1.11,3667,0,,\r\n');
    const r = await runK2(['--data-dir', join(tmp.path, 'data3'), 'load', 'asx', lone, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot map company id 3153 to a symbol/);
    const withSymbol = await runK2(['--data-dir', join(tmp.path, 'data3'), 'load', 'asx', lone, '--symbol', 'MWR', '--dry-run', '--json']);
    expect(withSymbol.code).toBe(0);
    expect((JSON.parse(withSymbol.stdout) as { by_symbol: Record<string, unknown> }).by_symbol).toHaveProperty('MWR');
    const ref = await runK2(['--data-dir', join(tmp.path, 'data3'), 'load', 'asx', fixture('reference-data', 'company_info.csv'), '--dry-run']);
    expect(ref.code).toBe(1);
    expect(ref.stderr).toMatch(/company reference data.*--reference/);
    const badFlag = await runK2(['load', 'asx', lone, '--symbol', 'MWR', '--side-quotes', 'sometimes', '--dry-run']);
    expect(badFlag.code).toBe(2);
  });
});
