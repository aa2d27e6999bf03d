/**
 * Fresh rows: records the bus has accepted but no Iceberg snapshot holds yet.
 * Given the offsets a snapshot covers, a TailSource returns the decoded records
 * from those offsets up to the high watermark (for topics the snapshot does not
 * mention, from the start of the topic).
 */
import { K2Error, errorMessage } from '../model/errors.js';
import type { QuoteV2 } from '../model/quote.js';
import type { TradeV2 } from '../model/trade.js';
import { parseCommittedOffsets, type CommittedOffsets } from './committed-offsets.js';
import type { QueryTable } from './table-schema.js';

export type TailRecords =
  | { table: 'trades_v2'; records: TradeV2[] }
  | { table: 'quotes_v2'; records: QuoteV2[] };

export interface TailSource {
  readTail(table: QueryTable, committed: CommittedOffsets): Promise<TailRecords>;
  close(): Promise<void>;
  /**
   * Gives up every read in flight at once, and refuses later ones: each fails with
   * FreshReadAbortedError(reason), so its scan answers with the committed rows only.
   * Returns how many reads were waiting. `k2 serve` calls it when shutting down.
   */
  abort?(reason: string): number;
  /**
   * Bus reads still running underneath, including ones their queries gave up on (a
   * kafkajs request cannot be cancelled; it ends at its own request timeout).
   */
  pendingReads?(): number;
}

/** Why a scan has no fresh rows, as the plan line and the API's `freshUnavailable` say it. */
export const FRESH_NO_BUS = 'not read (no bus running for this data dir and no --brokers: committed rows only)';
export const FRESH_TURNED_OFF = 'not read (turned off: committed rows only)';
export const FRESH_TIME_TRAVEL = 'not read (time travel: the chosen snapshot only)';

/** The default deadline of one tail read (connect, metadata, fetch and decode); see BusTailSource. */
export const FRESH_TIMEOUT_MS = 10_000;

/**
 * The most uncommitted records one scan reads from the bus (per topic); default of
 * --fresh-max-records. A larger tail (a consumer that is down or far behind) is not read:
 * decoding and loading it into DuckDB is CPU work on the query's thread that no deadline
 * can interrupt (733k records took 90 s on a 2-core machine).
 */
export const FRESH_MAX_RECORDS = 50_000;

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The reason a scan gives when the bus did not answer a tail read in time. */
export function freshTimedOut(timeoutMs: number): string {
  return `not read (the bus did not answer within ${seconds(timeoutMs)}: committed rows only)`;
}

/** A tail read past its deadline: the scan answers with the committed rows and says why. */
export class FreshReadTimeoutError extends K2Error {
  constructor(timeoutMs: number) {
    super('FRESH_TIMEOUT', freshTimedOut(timeoutMs));
  }
}

/** The tail holds more records than a scan reads: the scan answers with the committed rows and says why. */
export class FreshTailTooLargeError extends K2Error {
  constructor(topic: string, records: bigint, maxRecords: number) {
    super(
      'FRESH_TOO_LARGE',
      `not read (${topic} holds ${records} records not committed yet, more than the ${maxRecords} a query reads (--fresh-max-records): committed rows only; is a consumer running?)`,
    );
  }
}

/** A tail read given up on purpose (e.g. `k2 serve` shutting down). */
export class FreshReadAbortedError extends K2Error {
  constructor(reason: string) {
    super('FRESH_ABORTED', `not read (${reason}: committed rows only)`);
  }
}

/** Why a query reads no fresh rows (time travel, or turned off), or null when it wants them. */
export function freshSkipReason(q: { asOf?: unknown; snapshot?: unknown; fresh?: boolean }): string | null {
  if (q.asOf !== undefined || q.snapshot !== undefined) return FRESH_TIME_TRAVEL;
  return q.fresh === false ? FRESH_TURNED_OFF : null;
}

/**
 * The fresh rows of one scan: read from `tail` above the offsets the pinned snapshot's
 * summary records, unless `skip` says why not; a tail that cannot be read is reported,
 * never fatal (the committed rows still answer).
 */
export async function readFreshRows(
  tail: TailSource | null | undefined,
  table: QueryTable,
  snapshotSummary: Record<string, string> | undefined,
  skip: string | null,
): Promise<{ tail: TailRecords | null; freshUnavailable: string | null }> {
  if (skip !== null) return { tail: null, freshUnavailable: skip };
  if (tail === null || tail === undefined) return { tail: null, freshUnavailable: FRESH_NO_BUS };
  try {
    return { tail: await tail.readTail(table, parseCommittedOffsets(snapshotSummary)), freshUnavailable: null };
  } catch (err) {
    return { tail: null, freshUnavailable: errorMessage(err) };
  }
}
