import type { AssetClass, TradeSide } from './enums.js';
import type { Scaled } from './decimal.js';

/** Microseconds since the Unix epoch, UTC. Always a bigint: exact, never a float. */
export type Micros = bigint;

/** A string-to-string map of venue-specific fields; null when there are none. */
export type VendorData = Record<string, string> | null;

/**
 * A trade in the v2 model. Field names match schemas/trade_v2.avsc exactly, so a
 * record encodes with the Avro codec without any mapping step.
 */
export interface TradeV2 {
  message_id: string;
  trade_id: string;
  symbol: string;
  exchange: string;
  asset_class: AssetClass;
  timestamp: Micros;
  /** decimal(18,8) as units of 1e-8 */
  price: Scaled;
  /** decimal(18,8) as units of 1e-8 */
  quantity: Scaled;
  currency: string;
  side: TradeSide;
  trade_conditions: string[];
  source_sequence: bigint | null;
  ingestion_timestamp: Micros;
  platform_sequence: bigint | null;
  vendor_data: VendorData;
}
