import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterFile, planAsxLoad, runAsxLoad } from '../../src/sources/asx/index.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { tempDir } from '../support/tmp.js';
import { writeText } from './asx-test-support.js';

const REF = 'company_id,symbol,company_name,ISIN,start_date,end_date\r\n9002,BAD,BAD ROWS LTD,AU0000000002,01/01/2000,12/31/2099\r\n';

describe('bad ASX rows go to the dead-letter file with file, line and reason; the load goes on', () => {
  const dirs: Array<{ cleanup: () => void }> = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.cleanup();
  });

  it('rejects each malformed row with its reason and keeps every good one', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    writeText(join(tmp.path, 'reference-data', 'company_info.csv'), REF);
    const lines = [
      '03/10/2014,10:00:00.000,1.50,100,0,,', // 1 ok
      '03/10/2014,10:00:01.000,1.50,100,0,', // 2 wrong column count (6)
      '03/32/2014,10:00:02.000,1.50,100,0,,', // 3 bad date
      '03/10/2014,10:00:03.000,abc,100,0,,', // 4 non-numeric price
      '03/10/2014,10:00:04.000,1.123456789,100,0,,', // 5 more than 8 decimals
      '03/10/2014,10:00:05.000,1.5,99999999999,0,,', // 6 does not fit (18,8)
      '03/10/2014,25:00:06.000,1.5,100,0,,', // 7 bad time
      '', // 8 blank: not a row
      '03/10/2014,10:00:07.000,0,100,0,,', // 9 zero price
      '03/10/2014,10:00:08.000,1.5,-5,0,,', // 10 negative volume
      '10/05/2014,02:30:00.000,1.5,100,0,,', // 11 nonexistent local time (DST gap)
      '03/10/2014,10:00:09.000,"1.6",100,0,,', // 12 quoted field, read by csv-parse: ok
      '03/10/2014,10:00:10.000,"1.6,100,0,,', // 13 unterminated quote
      '03/10/2014,10:00:11.000,1.7,100,0,,', // 14 ok
    ];
    const file = writeText(join(tmp.path, 'trades', '9002.csv'), `${lines.join('\r\n')}\r\n`);
    const dataDir = join(tmp.path, 'data');
    const got: TradeV2[] = [];
    const { summary, deadLetterPath } = await runAsxLoad(planAsxLoad([file], { sideQuotes: 'none' }), {
      deadLetter: new DeadLetterFile(dataDir),
      sink: {
        send: (kind: 'trades' | 'quotes', recs: unknown[]) => {
          if (kind === 'trades') got.push(...(recs as TradeV2[]));
          return Promise.resolve();
        },
      },
    });
    // ids are the local time in micros (then a 4-digit content slot): rejected rows take none
    expect(got.map((t) => t.trade_id.replace(/\d{4}$/, ''))).toEqual(['ASX-9002-20140310-36000000000', 'ASX-9002-20140310-36009000000', 'ASX-9002-20140310-36011000000']);
    expect(got.map((t) => t.price)).toEqual([150_000_000n, 160_000_000n, 170_000_000n]);
    const json = summary.toJSON();
    expect(json).toMatchObject({ files: 1, rows_read: 13, rows_valid: 3, rows_rejected: 10 });
    expect(deadLetterPath).not.toBeNull();
    expect(deadLetterPath!.startsWith(join(dataDir, 'dead-letter', 'asx-'))).toBe(true);
    expect(deadLetterPath!.endsWith('.jsonl')).toBe(true);
    const dead = readFileSync(deadLetterPath!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; line: number; reason: string; field: string | null; raw: string });
    expect(dead.map((d) => d.line)).toEqual([2, 3, 4, 5, 6, 7, 9, 10, 11, 13]);
    for (const d of dead) {
      expect(d.file).toBe(file);
      expect(d.raw).toBe(lines[d.line - 1]);
    }
    const reason = (line: number): string => dead.find((d) => d.line === line)!.reason;
    const field = (line: number): string | null => dead.find((d) => d.line === line)!.field;
    expect(reason(2)).toMatch(/wrong column count: 6, expected 7/);
    expect(reason(3)).toMatch(/bad date "03\/32\/2014"/);
    expect(field(3)).toBe('Date');
    expect(reason(4)).toMatch(/^Price not a decimal number/);
    expect(field(4)).toBe('Price');
    expect(reason(5)).toMatch(/^Price more than 8 decimal places/);
    expect(reason(6)).toMatch(/^Volume does not fit decimal\(18,8\)/);
    expect(field(6)).toBe('Volume');
    expect(reason(7)).toMatch(/bad time "25:00:06.000"/);
    expect(reason(9)).toMatch(/Price must be positive/);
    expect(reason(10)).toMatch(/Volume must not be negative/);
    expect(reason(11)).toMatch(/does not exist in Australia\/Sydney/);
    expect(reason(13)).toMatch(/malformed CSV/);
  });

  it('rejects bad quote rows too, and writes no dead-letter file when nothing is rejected', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    writeText(join(tmp.path, 'reference-data', 'company_info.csv'), REF);
    const quotes = writeText(
      join(tmp.path, 'quotes', '9002.csv'),
      ['03/10/2014,10:00:00.000,1.5,1.6,100,200', '03/10/2014,10:00:00.000,-1.5,1.6,100,200', '03/10/2014,10:00:00.000,1.5,1.6,100', ''].join('\n'),
    );
    const dataDir = join(tmp.path, 'data');
    const r = await runAsxLoad(planAsxLoad([quotes]), { deadLetter: new DeadLetterFile(dataDir) });
    expect(r.summary.toJSON()).toMatchObject({ rows_read: 3, rows_valid: 1, rows_rejected: 2 });
    const dead = readFileSync(r.deadLetterPath!, 'utf8').trim().split('\n');
    expect(dead.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual([2, 3]);
    expect(dead[0]).toMatch(/Bid must not be negative/);
    expect(dead[1]).toMatch(/wrong column count: 5, expected 6/);

    const clean = writeText(join(tmp.path, 'quotes2', 'quotes', '9002.csv'), '03/10/2014,10:00:00.000,1.5,1.6,100,200\n');
    const dataDir2 = join(tmp.path, 'data2');
    const r2 = await runAsxLoad(planAsxLoad([clean], { reference: join(tmp.path, 'reference-data', 'company_info.csv') }), {
      deadLetter: new DeadLetterFile(dataDir2),
    });
    expect(r2.deadLetterPath).toBeNull();
    expect(() => readdirSync(join(dataDir2, 'dead-letter'))).toThrow();
  });

  it('surfaces a publishing failure and still writes the rows rejected before it', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    writeText(join(tmp.path, 'reference-data', 'company_info.csv'), REF);
    // ~200 KB: several 64 KiB read chunks, so several sends
    const hms = (i: number): string => [10 + Math.floor(i / 3600), Math.floor(i / 60) % 60, i % 60].map((x) => String(x).padStart(2, '0')).join(':');
    const rows = Array.from({ length: 5000 }, (_, i) => `03/10/2014,${hms(i)}.000,1.5,100,0,,`);
    rows[3] = '03/10/2014,10:00:03.000,oops,100,0,,';
    const file = writeText(join(tmp.path, 'trades', '9002.csv'), `${rows.join('\r\n')}\r\n`);
    const dataDir = join(tmp.path, 'data');
    const sent: number[] = [];
    const load = runAsxLoad(planAsxLoad([file], { sideQuotes: 'none' }), {
      deadLetter: new DeadLetterFile(dataDir),
      batchSize: 10,
      sink: {
        send: (_kind, recs) => {
          sent.push(recs.length);
          return sent.length === 1 ? Promise.resolve() : Promise.reject(new Error('broker said no'));
        },
      },
    });
    await expect(load).rejects.toThrow('broker said no');
    expect(sent[0]).toBeGreaterThanOrEqual(10);
    const dead = readdirSync(join(dataDir, 'dead-letter'));
    expect(dead).toHaveLength(1);
    expect(readFileSync(join(dataDir, 'dead-letter', dead[0]!), 'utf8')).toMatch(/"line":4/);
  });
});
