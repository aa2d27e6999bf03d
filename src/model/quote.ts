import type { AssetClass } from './enums.js';
import type { Scaled } from './decimal.js';
import type { Micros, VendorData } from './trade.js';

/**
 * Top of book in the v2 model. Field names match schemas/quote_v2.avsc.
 * An absent side of the book is null, never 0.
 */
export interface QuoteV2 {
  message_id: string;
  quote_id: string;
  symbol: string;
  exchange: string;
  asset_class: AssetClass;
  timestamp: Micros;
  bid_price: Scaled | null;
  bid_quantity: Scaled | null;
  ask_price: Scaled | null;
  ask_quantity: Scaled | null;
  currency: string;
  source_sequence: bigint | null;
  ingestion_timestamp: Micros;
  platform_sequence: bigint | null;
  vendor_data: VendorData;
}
