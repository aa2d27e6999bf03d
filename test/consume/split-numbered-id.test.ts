/**
 * splitNumberedId (the byte-level split of a record id into prefix + number, used on the
 * column path) against the regex CompactIdSet uses on strings, and a CompactIdSet filled
 * through the byte path (addNumbered / hasNumbered, string fallback) against one filled
 * with strings only.
 */
import { describe, expect, it } from 'vitest';
import { CompactIdSet, numberedId, splitNumberedId } from '../../src/consume/compact-id-set.js';
import { prng } from '../support/prng.js';

/** CompactIdSet's definition of a numbered id (src/consume/compact-id-set.ts) */
const NUMBERED = /^(.*?)(0|[1-9]\d{0,14})$/;

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const PREFIXES = [
  '',
  'ASX-7078-20140102-',
  'BINANCE-',
  'A',
  'A0', // ends in a digit: the number may start inside what looks like the prefix
  'B1',
  'x00',
  '9',
  'a b',
  '~',
  '-',
  'x\n', // line terminators: the regex's "." does not match them
  'x\r',
  '\n',
  'p\u2028',
  'p\u2029',
  'é', // non-ASCII
  'ü-',
  '日本',
  '😀',
  'a\u001f', // the text arena's separator
  '\u0000',
  '\u007f',
  '\u0085',
];

function digits(rand: Rand): string {
  const r = rand();
  if (r < 0.1) return '';
  if (r < 0.2) return pick(rand, ['0', '00', '000', '0000000000000000', '1', '9']);
  const n = 1 + Math.floor(rand() * 20); // up to 20 digits: more than 15 too
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rand() * 10));
  if (rand() < 0.2) s = '0'.repeat(1 + Math.floor(rand() * 3)) + s; // leading zeros
  return s;
}

function randomId(rand: Rand): string {
  const r = rand();
  if (r < 0.05) return '';
  if (r < 0.1) return pick(rand, ['0', '00', '007', '123456789012345', '1234567890123456', '1000000000000000', '100000000000000', 'abc']);
  let id = pick(rand, PREFIXES) + digits(rand);
  if (rand() < 0.1) id += pick(rand, ['x', '\n', 'é']); // not ending in a digit
  return id;
}

/** The id's UTF-8 bytes inside a larger buffer with digits around them (the split must stay within [s, e)). */
function placed(id: string, rand: Rand): { bytes: Uint8Array; s: number; e: number } {
  const body = Buffer.from(id, 'utf8');
  const pre = Math.floor(rand() * 4);
  const post = Math.floor(rand() * 4);
  const bytes = Buffer.alloc(pre + body.length + post);
  bytes.fill(0x31); // '1': a split that reads outside [s, e) would see digits
  body.copy(bytes, pre);
  return { bytes, s: pre, e: pre + body.length };
}

describe('splitNumberedId', () => {
  it('splits exactly as the CompactIdSet regex, or declines (non-numbered id, or a prefix outside printable ASCII)', () => {
    const rand = prng(11);
    let split = 0;
    let declinedNumbered = 0;
    const problems: string[] = [];
    for (let k = 0; k < 15_000; k++) {
      const id = randomId(rand);
      const { bytes, s, e } = placed(id, rand);
      const ok = splitNumberedId(bytes, s, e);
      const m = NUMBERED.exec(id);
      if (ok) {
        split++;
        const prefix = Buffer.from(bytes.subarray(s, numberedId.prefixEnd)).toString('latin1');
        if (m === null) problems.push(`${JSON.stringify(id)}: split as ${JSON.stringify(prefix)} + ${numberedId.n}, the regex does not match`);
        else if (prefix !== m[1] || numberedId.n !== Number(m[2])) {
          problems.push(`${JSON.stringify(id)}: split as ${JSON.stringify(prefix)} + ${numberedId.n}, the regex as ${JSON.stringify(m[1])} + ${m[2]}`);
        }
      } else if (m !== null) {
        declinedNumbered++;
        // declining a numbered id is only allowed for a prefix outside printable ASCII
        if (/^[\x20-\x7e]*$/.test(m[1]!)) problems.push(`${JSON.stringify(id)}: declined, the regex splits it as ${JSON.stringify(m[1])} + ${m[2]}`);
      }
      if (problems.length >= 20) break;
    }
    expect(problems).toEqual([]);
    expect(split).toBeGreaterThan(5_000);
    expect(declinedNumbered).toBeGreaterThan(500);
  });

  it('handles the edge ids exactly', () => {
    const cases: [string, string | null, number?][] = [
      ['0', '', 0],
      ['00', '0', 0],
      ['000', '00', 0],
      ['007', '00', 7],
      ['A0', 'A', 0],
      ['A00', 'A0', 0],
      ['A05', 'A0', 5],
      ['123456789012345', '', 123456789012345],
      ['1234567890123456', '1', 234567890123456],
      ['1000000000000000', '100000000000000', 0],
      ['1034567890123456', '10', 34567890123456],
      ['ASX-7078-20140102-17', 'ASX-7078-20140102-', 17],
      ['', null],
      ['abc', null],
      ['abc1x', null],
      ['x\n1', null], // numbered for nobody: the regex does not match across a line break
      ['é1', null], // the regex splits it, splitNumberedId leaves it to the string path
    ];
    for (const [id, prefix, n] of cases) {
      const bytes = Buffer.from(id, 'utf8');
      const ok = splitNumberedId(bytes, 0, bytes.length);
      expect(ok, id).toBe(prefix !== null);
      if (ok) {
        expect(bytes.toString('latin1', 0, numberedId.prefixEnd), id).toBe(prefix);
        expect(numberedId.n, id).toBe(n);
      }
    }
  });
});

describe('CompactIdSet through the byte path', () => {
  it('addNumbered/hasNumbered for split ids and tryAdd/has for the rest agree with add/has of the strings', () => {
    const rand = prng(12);
    for (let round = 0; round < 4; round++) {
      const ref = new Set<string>();
      const byString = new CompactIdSet();
      const byBytes = new CompactIdSet();
      // ids clustered on a few prefixes, so runs form and both sets' "last prefix" shortcut is exercised
      const pool = Array.from({ length: 40 }, () => randomId(rand));
      const nearby = (): string => {
        const base = pick(rand, pool);
        const m = /^(.*?)(\d*)$/s.exec(base)!;
        if (m[2] === '' || rand() < 0.3) return base;
        const n = BigInt(m[2]!) + BigInt(Math.floor(rand() * 5) - 2);
        return m[1]! + (n < 0n ? '0' : String(n));
      };
      const viaBytes = (id: string, add: boolean): boolean => {
        const bytes = Buffer.from(id, 'utf8');
        if (splitNumberedId(bytes, 0, bytes.length)) {
          const prefix = bytes.toString('latin1', 0, numberedId.prefixEnd);
          return add ? byBytes.addNumbered(prefix, numberedId.n) : byBytes.hasNumbered(prefix, numberedId.n);
        }
        return add ? byBytes.tryAdd(id) : byBytes.has(id);
      };
      const problems: string[] = [];
      const check = (what: string, got: boolean, want: boolean): void => {
        if (got !== want && problems.length < 20) problems.push(`${what}: ${got}, expected ${want}`);
      };
      for (let k = 0; k < 3000; k++) {
        const id = nearby();
        if (rand() < 0.5) {
          const isNew = !ref.has(id);
          ref.add(id);
          check(`tryAdd ${JSON.stringify(id)}`, byString.tryAdd(id), isNew);
          // half of the byte-path adds go through the string API, as RowIdReader does for unsplit ids
          check(`byte-path add ${JSON.stringify(id)}`, rand() < 0.5 ? viaBytes(id, true) : byBytes.tryAdd(id), isNew);
        }
        const probe = rand() < 0.7 ? nearby() : randomId(rand);
        const want = ref.has(probe);
        check(`has ${JSON.stringify(probe)}`, byString.has(probe), want);
        check(`byte-path set, has ${JSON.stringify(probe)}`, byBytes.has(probe), want);
        check(`byte-path set, hasNumbered/has ${JSON.stringify(probe)}`, viaBytes(probe, false), want);
      }
      expect(problems).toEqual([]);
      expect(byString.size).toBe(ref.size);
      expect(byBytes.size).toBe(ref.size);
      for (const id of ref) expect(viaBytes(id, false), id).toBe(true);
    }
  });
});
