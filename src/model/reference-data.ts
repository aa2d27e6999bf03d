import type { AssetClass } from './enums.js';
import type { Micros, VendorData } from './trade.js';

/** Instrument reference data in the v2 model. Field names match schemas/reference_data_v2.avsc. */
export interface ReferenceDataV2 {
  message_id: string;
  company_id: string;
  symbol: string;
  exchange: string;
  asset_class: AssetClass;
  company_name: string;
  isin: string | null;
  currency: string | null;
  listing_date: Micros | null;
  delisting_date: Micros | null;
  is_active: boolean;
  ingestion_timestamp: Micros;
  vendor_data: VendorData;
}
