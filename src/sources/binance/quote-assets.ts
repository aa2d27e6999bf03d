/**
 * Splits a Binance symbol (BTCUSDT) into base and quote asset by the longest
 * matching known quote-asset suffix. An unknown suffix is an error, never a guess.
 */
import { BinanceMessageError } from './errors.js';

/** Quote assets listed on Binance spot (as of 2025), plus a few historical ones. */
export const KNOWN_QUOTE_ASSETS: readonly string[] = [
  'USDT', 'USDC', 'FDUSD', 'TUSD', 'BUSD', 'USDP', 'DAI', 'AEUR', 'EURI', 'USD1', 'XUSD', 'PAX',
  'BTC', 'ETH', 'BNB', 'XRP', 'TRX', 'DOGE', 'DOT', 'SOL',
  'EUR', 'TRY', 'GBP', 'AUD', 'BRL', 'JPY', 'RUB', 'UAH', 'ZAR', 'PLN', 'RON', 'ARS', 'MXN', 'COP', 'CZK',
  'NGN', 'IDRT', 'BIDR', 'BKRW', 'BVND',
];

export interface SymbolAssets {
  base: string;
  quote: string;
}

const BY_LENGTH = [...KNOWN_QUOTE_ASSETS].sort((a, b) => b.length - a.length);
const cache = new Map<string, SymbolAssets>();

/** Base and quote asset of an upper-case Binance symbol; throws `unknown_quote_asset`. */
export function splitSymbol(symbol: string): SymbolAssets {
  const hit = cache.get(symbol);
  if (hit !== undefined) return hit;
  for (const quote of BY_LENGTH) {
    if (symbol.length > quote.length && symbol.endsWith(quote)) {
      const assets = { base: symbol.slice(0, symbol.length - quote.length), quote };
      cache.set(symbol, assets);
      return assets;
    }
  }
  throw new BinanceMessageError('unknown_quote_asset', `no known quote asset ends symbol ${JSON.stringify(symbol)}`, {
    field: 's',
    symbol,
  });
}
