/** Enumerations of the v2 schema. The order matches the Avro enum symbols. */
export const ASSET_CLASSES = ['equities', 'crypto', 'futures', 'options'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

export const TRADE_SIDES = ['BUY', 'SELL', 'SELL_SHORT', 'UNKNOWN'] as const;
export type TradeSide = (typeof TRADE_SIDES)[number];

export function isTradeSide(value: string): value is TradeSide {
  return (TRADE_SIDES as readonly string[]).includes(value);
}

export function isAssetClass(value: string): value is AssetClass {
  return (ASSET_CLASSES as readonly string[]).includes(value);
}
