import type { QuoteV2 } from './quote.js';
import type { ReferenceDataV2 } from './reference-data.js';
import type { TradeV2 } from './trade.js';

/** The three kinds of v2 record, as used in topic names. */
export const RECORD_KINDS = ['trades', 'quotes', 'reference_data'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface RecordOfKind {
  trades: TradeV2;
  quotes: QuoteV2;
  reference_data: ReferenceDataV2;
}

/** A v2 record tagged with its kind, for code that routes several kinds at once. */
export type TaggedRecord =
  | { kind: 'trades'; record: TradeV2 }
  | { kind: 'quotes'; record: QuoteV2 }
  | { kind: 'reference_data'; record: ReferenceDataV2 };
