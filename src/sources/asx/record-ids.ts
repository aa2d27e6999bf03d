/**
 * Deterministic ids for ASX rows, derived from each row's own content, so that loading
 * the same rows again - the same file, a corrected copy, or the file split in parts -
 * yields the same trade_id/quote_id AND the same message_id (downstream dedupe by
 * either works):
 *
 *  trade_id = ASX-{company_id}-{yyyymmdd}-{n}
 *  quote_id = ASX-{company_id}-{yyyymmdd}-Q{n}
 *  n        = microsOfDay * 10000 + slot
 *
 * microsOfDay is the row's local time of day in microseconds (so n / 10^4 reads back
 * as the time: 289614590004821 is 28961.459000 s, 08:02:41.459). The slot, 0..9999,
 * is a hash of the row's other content (price, volume, qualifiers, venue, buyer; bid,
 * ask and sizes for quotes); the k-th identical row of the same microsecond (an
 * identical fill) takes the k-th free slot from there. Nothing depends on a row's
 * position in the file, so a rejected row corrected and reloaded gets its own id
 * without renumbering its neighbours, and a day split over two files keeps its ids.
 *
 * What this cannot tell apart (docs/decisions.md): two different rows of the same
 * microsecond whose hashes meet take consecutive slots in file order, so a corrected
 * row that lands before such a neighbour can swap ids with it (about 1 in 10^4 per
 * pair of rows sharing a microsecond); identical fills of one microsecond split over
 * two files both count from the first slot.
 *
 * message_id is a UUIDv8 (RFC 9562 custom) derived from the id: SHA-1 over a k2
 * namespace and the id prefix `ASX-{company_id}-{yyyymmdd}[-Q]` (once per
 * company-day), with n XOR-ed into the low 53 bits. Distinct n give distinct UUIDs
 * within a day; different days differ in the hashed bits. One hash per day instead of
 * one per row keeps the hot path fast (per-row SHA-1 ran at ~300k/s on this machine,
 * i.e. slower than the whole rest of the conversion).
 */
import { createHash } from 'node:crypto';
import { NumberRuns } from '../../collections/number-runs.js';
import { AsxRowError } from './asx-row-error.js';

const NAMESPACE = 'k2:asx:v2:';

/** Ids per microsecond of the day: n = microsOfDay * SLOTS_PER_MICROSECOND + slot. */
export const SLOTS_PER_MICROSECOND = 10_000;

/**
 * A row's content hash is built from its fields with these (FNV-1a, 32 bit): start at
 * CONTENT_HASH_SEED, then hashText/hashNumber each field in a fixed order. The hash only
 * spreads rows over slots, so it may be lossy: a decimal goes in as Number(scaled).
 */
export const CONTENT_HASH_SEED = 0x811c9dc5;

const FNV_PRIME = 0x01000193;

/** Mixes the UTF-16 code units of `text`, then a separator, into h. */
export function hashText(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return Math.imul(h ^ 0x1f, FNV_PRIME);
}

/** Mixes a number (an integer, as its low and high 32-bit words) into h; null as -1. */
export function hashNumber(h: number, x: number | null): number {
  const v = x ?? -1;
  const hi = Math.floor(v / 0x1_0000_0000);
  h = Math.imul(h ^ (v >>> 0), FNV_PRIME);
  return Math.imul(h ^ (hi >>> 0), FNV_PRIME);
}

/**
 * String(n) for an id number (0 <= n < 2^53), about twice as fast for the 15-digit
 * numbers of ids: a double's toString is slow, a small integer's is not.
 */
export function idNumberText(n: number): string {
  const hi = Math.floor(n / 1e8);
  if (hi === 0) return `${n}`;
  const lo = n - hi * 1e8;
  return `${hi}${(lo + 1e8).toString().slice(1)}`;
}

/** The first slot tried for a row of content hash h. */
export function slotOfHash(h: number): number {
  return (h >>> 0) % SLOTS_PER_MICROSECOND;
}

/** Char codes of the lowercase hex digits (what Number#toString(16) writes). */
const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * The ids of the rows of one id prefix (company or symbol, day, kind) in one file: it
 * numbers rows by content (see the top of this file) and builds their message ids.
 */
export class DayIdSpace {
  readonly idPrefix: string;
  /** Char codes of "xxxxxxxx-xxxx-8xxx-" (19). */
  private readonly head: readonly number[];
  /** The hashed fourth group (variant bits on top), and the hashed low 48 bits as 16 + 32 bits. */
  private readonly group4: number;
  private readonly low16: number;
  private readonly low32: number;
  /** The numbers given out so far (one run per row in the usual case: 16 bytes a row). */
  private readonly taken = new NumberRuns();
  /**
   * For a first slot whose row had to probe (an identical fill, or a hash collision): the slot
   * to try next, as every slot before it is taken. Only such rows get an entry; it spares the
   * k-th identical row k probes.
   */
  private readonly nextFree = new Map<number, number>();

  constructor(idPrefix: string) {
    this.idPrefix = idPrefix;
    const h = createHash('sha1').update(NAMESPACE + idPrefix).digest();
    h[6] = (h[6]! & 0x0f) | 0x80; // version 8
    h[8] = (h[8]! & 0x3f) | 0x80; // variant 10
    const hex = h.subarray(0, 8).toString('hex');
    const head = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-`;
    this.head = Array.from(head, (c) => c.charCodeAt(0));
    this.group4 = h.readUInt16BE(8);
    this.low16 = h.readUInt16BE(10);
    this.low32 = h.readUInt32BE(12);
  }

  /**
   * The number n of a row at `microsOfDay` (an integer, 0 <= microsOfDay < 9e10) whose
   * other fields hash to `contentHash`: the first slot from slotOfHash(contentHash) not
   * taken yet by an earlier row of this prefix and microsecond.
   */
  number(microsOfDay: number, contentHash: number): number {
    const base = microsOfDay * SLOTS_PER_MICROSECOND;
    const first = base + slotOfHash(contentHash);
    if (this.taken.add(first)) return first;
    let slot = this.nextFree.get(first) ?? (first - base + 1) % SLOTS_PER_MICROSECOND;
    for (let tries = 1; tries < SLOTS_PER_MICROSECOND; tries++) {
      const n = base + slot;
      slot = slot + 1 === SLOTS_PER_MICROSECOND ? 0 : slot + 1;
      if (this.taken.add(n)) {
        this.nextFree.set(first, slot);
        return n;
      }
    }
    throw new AsxRowError(`more than ${SLOTS_PER_MICROSECOND} rows in one microsecond of ${this.idPrefix}`);
  }

  /**
   * The UUID of row n (0 <= n < 2^53): the 19-character head, then 4 + 4 + 8 lowercase
   * hex digits. n's bits above 48 go into the fourth group below its variant bits.
   * Built as one flat string in a single String.fromCharCode call (about 3x cheaper than
   * toString(16) + padStart + concatenation, and the Avro encoder then reads a flat
   * string instead of flattening a rope).
   */
  messageId(n: number): string {
    const top = Math.floor(n / 0x1_0000_0000_0000);
    const low48 = n - top * 0x1_0000_0000_0000;
    const hi = Math.floor(low48 / 0x1_0000_0000);
    const lo = low48 - hi * 0x1_0000_0000;
    const g = this.group4 ^ (top & 0x1f);
    const a = (this.low16 ^ hi) & 0xffff;
    const b = (this.low32 ^ lo) >>> 0;
    const h = this.head;
    const x = HEX_CODES;
    return String.fromCharCode(
      h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, h[8]!, h[9]!, h[10]!, h[11]!,
      h[12]!, h[13]!, h[14]!, h[15]!, h[16]!, h[17]!, h[18]!,
      x[g >>> 12]!, x[(g >>> 8) & 15]!, x[(g >>> 4) & 15]!, x[g & 15]!, 45,
      x[a >>> 12]!, x[(a >>> 8) & 15]!, x[(a >>> 4) & 15]!, x[a & 15]!,
      x[b >>> 28]!, x[(b >>> 24) & 15]!, x[(b >>> 20) & 15]!, x[(b >>> 16) & 15]!,
      x[(b >>> 12) & 15]!, x[(b >>> 8) & 15]!, x[(b >>> 4) & 15]!, x[b & 15]!,
    );
  }
}

/** Caches DayIdSpace per prefix. */
export class IdSpaces {
  private readonly spaces = new Map<string, DayIdSpace>();
  private last: DayIdSpace | null = null;

  get(idPrefix: string): DayIdSpace {
    if (this.last !== null && this.last.idPrefix === idPrefix) return this.last;
    let s = this.spaces.get(idPrefix);
    if (s === undefined) {
      s = new DayIdSpace(idPrefix);
      this.spaces.set(idPrefix, s);
    }
    this.last = s;
    return s;
  }
}

/** A name-based UUIDv5 (RFC 9562) of any string, for rows of header CSVs that carry their own ids. */
export function uuidV5(name: string): string {
  const h = createHash('sha1').update(NAMESPACE_BYTES).update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A fixed namespace UUID for k2 ASX ids (random, chosen once). */
const NAMESPACE_BYTES = Buffer.from('5b0d8e4c6f2a4b1e9a3d7c61e2f04a95', 'hex');
