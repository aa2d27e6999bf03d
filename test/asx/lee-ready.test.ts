import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QuoteMidIndexBuilder } from '../../src/sources/asx/quote-mid-index.js';
import { SideClassifier } from '../../src/sources/asx/side-classifier.js';
import { DeadLetterFile, planAsxLoad, runAsxLoad } from '../../src/sources/asx/index.js';
import { parseScaled } from '../../src/model/decimal.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { tempDir } from '../support/tmp.js';
import { writeText } from './asx-test-support.js';

const p = (s: string): bigint => parseScaled(s);
const T0 = 1_000_000_000; // micros; the day starts at 0

describe('Lee-Ready on hand-worked examples', () => {
  // quotes: t=100 10.00/10.10 (mid 10.05); t=200 10.00/10.20 (mid 10.10); t=300 crossed 10.30/10.20;
  // t=400 one-sided 0/10.40; t=500 locked 10.50/10.50; t=600 10.40/10.60 (mid 10.50)
  const index = (): SideClassifier => {
    const b = new QuoteMidIndexBuilder();
    b.add('X', T0 + 100, p('10.00'), p('10.10'));
    b.add('X', T0 + 200, p('10.00'), p('10.20'));
    b.add('X', T0 + 300, p('10.30'), p('10.20'));
    b.add('X', T0 + 400, null, p('10.40'));
    b.add('X', T0 + 500, p('10.50'), p('10.50'));
    b.add('X', T0 + 600, p('10.40'), p('10.60'));
    return new SideClassifier(b.build());
  };
  const c = (s: SideClassifier, ts: number, price: string): string => {
    const r = s.classify('X', 20140310, T0, T0 + ts, p(price));
    return `${r.side}/${r.method}`;
  };

  it('uses the quote rule above and below the prevailing mid', () => {
    const s = index();
    expect(c(s, 150, '10.08')).toBe('BUY/lee_ready'); // mid 10.05
    expect(c(s, 160, '10.01')).toBe('SELL/lee_ready');
    expect(c(s, 250, '10.15')).toBe('BUY/lee_ready'); // mid 10.10
    expect(c(s, 700, '10.45')).toBe('SELL/lee_ready'); // mid 10.50
  });

  it('falls back to the tick test at the mid (zero ticks keep the last direction)', () => {
    const s = index();
    expect(c(s, 150, '10.05')).toBe('UNKNOWN/unknown'); // at mid, no earlier trade
    expect(c(s, 160, '10.05')).toBe('UNKNOWN/unknown'); // zero tick, no earlier change
    expect(c(s, 250, '10.10')).toBe('BUY/lee_ready_tick'); // at mid 10.10, uptick from 10.05
    expect(c(s, 260, '10.10')).toBe('BUY/lee_ready_tick'); // zero-uptick
    expect(c(s, 700, '10.50')).toBe('BUY/lee_ready_tick'); // at mid 10.50, uptick
    expect(c(s, 710, '10.45')).toBe('SELL/lee_ready'); // below mid
    expect(c(s, 720, '10.50')).toBe('BUY/lee_ready_tick'); // at mid, uptick from 10.45
  });

  it('uses only quotes strictly before the trade: a quote at the same microsecond is not prevailing', () => {
    const s = index();
    // at t=200 the prevailing quote is still the t=100 one (mid 10.05): 10.08 is a BUY
    expect(c(s, 200, '10.08')).toBe('BUY/lee_ready');
    // one microsecond later the t=200 quote (mid 10.10) prevails: 10.08 is a SELL
    expect(c(s, 201, '10.08')).toBe('SELL/lee_ready');
  });

  it('treats crossed, one-sided and locked prevailing quotes as no mid (tick test), never using an older quote', () => {
    const s = index();
    expect(c(s, 250, '10.12')).toBe('BUY/lee_ready'); // establishes tick state, mid 10.10
    expect(c(s, 350, '10.11')).toBe('SELL/tick_test'); // crossed quote prevails; downtick
    expect(c(s, 450, '10.11')).toBe('SELL/tick_test'); // one-sided; zero-downtick
    expect(c(s, 550, '10.20')).toBe('BUY/tick_test'); // locked; uptick
  });

  it('uses the tick test before the first quote of the day and ignores the previous day', () => {
    const b = new QuoteMidIndexBuilder();
    b.add('X', T0 - 10, p('1'), p('3')); // yesterday (before the day start T0)
    const s = new SideClassifier(b.build());
    expect(s.classify('X', 20140311, T0, T0 + 5, p('2.5')).method).toBe('unknown');
    expect(s.classify('X', 20140311, T0, T0 + 6, p('2.4')).side).toBe('SELL');
    // tick state resets on a new day
    expect(s.classify('X', 20140312, T0 + 86_400_000_000, T0 + 86_400_000_001, p('2.6'))).toEqual({ side: 'UNKNOWN', method: 'unknown' });
  });

  it('orders quotes by time (file order among equal times) even when the file is not sorted', () => {
    const b = new QuoteMidIndexBuilder();
    b.add('Z', T0 + 300, p('3'), p('5')); // mid 4
    b.add('Z', T0 + 100, p('1'), p('3')); // mid 2
    b.add('Z', T0 + 200, p('1'), p('2')); // mid 1.5
    b.add('Z', T0 + 200, p('2'), p('4')); // same time, later in the file: prevails, mid 3
    for (let i = 0; i < 3000; i++) b.add('Z', T0 + 1000 + i, p('10'), p('12')); // grows past the initial capacity
    const idx = b.build();
    expect(idx.prevailingMid2('Z', T0 + 150, T0)).toBe(p('4'));
    expect(idx.prevailingMid2('Z', T0 + 250, T0)).toBe(p('6'));
    expect(idx.prevailingMid2('Z', T0 + 350, T0)).toBe(p('8'));
    expect(idx.prevailingMid2('Z', T0 + 5000, T0)).toBe(p('22'));
    expect(idx.prevailingMid2('Z', T0 + 100, T0)).toBeNull();
    expect(idx.prevailingMid2('other', T0 + 5000, T0)).toBeNull();
  });

  it('classifies with the tick test alone when there are no quotes', () => {
    const s = new SideClassifier(null);
    const seq = ['10', '10.1', '10.1', '10', '10', '10.2'].map((x, i) => s.classify('Y', 1, 0, i, p(x)));
    expect(seq.map((r) => r.side)).toEqual(['UNKNOWN', 'BUY', 'BUY', 'SELL', 'SELL', 'BUY']);
    expect(seq.map((r) => r.method)).toEqual(['unknown', 'tick_test', 'tick_test', 'tick_test', 'tick_test', 'tick_test']);
  });
});

describe('Lee-Ready through a load of raw files', () => {
  const dirs: Array<{ cleanup: () => void }> = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.cleanup();
  });

  it('classifies trades against the same company-day quotes, from a sibling quotes file or given inputs', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    writeText(join(tmp.path, 'reference-data', 'company_info.csv'), 'company_id,symbol,company_name,ISIN,start_date,end_date\r\n9001,TST,TEST LTD,AU0000000001,01/01/2000,12/31/2099\r\n');
    writeText(
      join(tmp.path, 'quotes', '9001.csv'),
      [
        '03/10/2014,10:00:00.000,1.00,1.10,100,100', // mid 1.05
        '03/10/2014,10:00:05.000,1.20,1.10,100,100', // crossed
        '03/10/2014,10:00:10.000,1.00,1.20,100,100', // mid 1.10
        '03/11/2014,10:00:00.000,2.00,2.10,100,100', // next day mid 2.05
        '',
      ].join('\r\n'),
    );
    const trades = writeText(
      join(tmp.path, 'trades', '9001.csv'),
      [
        '03/10/2014,09:59:59.000,1.07,10,0,,', // before any quote: no earlier trade -> unknown
        '03/10/2014,10:00:00.000,1.07,10,0,,', // quote at the same time is not prevailing -> tick (zero tick) -> unknown
        '03/10/2014,10:00:01.000,1.07,10,0,,', // above mid 1.05 -> BUY
        '03/10/2014,10:00:02.000,1.05,10,0,,', // at mid, downtick -> SELL lee_ready_tick
        '03/10/2014,10:00:06.000,1.06,10,0,,', // crossed prevails -> tick, uptick -> BUY tick_test
        '03/10/2014,10:00:11.000,1.09,10,0,,', // below mid 1.10 -> SELL
        '03/11/2014,09:00:00.000,2.20,10,0,,', // next day before its quotes; previous day's quotes unused -> unknown
        '03/11/2014,10:00:01.000,2.06,10,0,,', // above mid 2.05 -> BUY
        '',
      ].join('\r\n'),
    );
    const collect = async (mode: 'auto' | 'none'): Promise<string[]> => {
      const got: TradeV2[] = [];
      const plan = planAsxLoad([trades], { sideQuotes: mode });
      await runAsxLoad(plan, {
        sideQuotes: mode,
        deadLetter: new DeadLetterFile(tmp.path),
        sink: {
          send: (kind: 'trades' | 'quotes', recs: unknown[]) => {
            if (kind === 'trades') got.push(...(recs as TradeV2[]));
            return Promise.resolve();
          },
        },
      });
      return got.map((t) => `${t.side}/${t.vendor_data!.side_method}`);
    };
    expect(await collect('auto')).toEqual([
      'UNKNOWN/unknown',
      'UNKNOWN/unknown',
      'BUY/lee_ready',
      'SELL/lee_ready_tick',
      'BUY/tick_test',
      'SELL/lee_ready',
      'UNKNOWN/unknown',
      'BUY/lee_ready',
    ]);
    expect(await collect('none')).toEqual([
      'UNKNOWN/unknown',
      'UNKNOWN/unknown',
      'UNKNOWN/unknown',
      'SELL/tick_test',
      'BUY/tick_test',
      'BUY/tick_test',
      'UNKNOWN/unknown',
      'SELL/tick_test',
    ]);
  });
});
