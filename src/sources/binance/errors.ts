/**
 * Typed errors for Binance payloads. Each carries an `errorType` that is used
 * verbatim as the `error_type` label of k2_binance_message_errors_total.
 */
import { K2Error, type ErrorContext } from '../../model/errors.js';

export const BINANCE_ERROR_TYPES = [
  'malformed_json',
  'invalid_frame',
  'unknown_event',
  'invalid_payload',
  'invalid_decimal',
  'unknown_quote_asset',
  'unsubscribed_symbol',
] as const;
export type BinanceErrorType = (typeof BINANCE_ERROR_TYPES)[number];

export class BinanceMessageError extends K2Error {
  readonly errorType: BinanceErrorType;

  constructor(errorType: BinanceErrorType, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(`BINANCE_${errorType.toUpperCase()}`, message, context, options);
    this.errorType = errorType;
  }
}

/** A REST call to Binance failed (HTTP status, bad body, or network). */
export class BinanceRestError extends K2Error {
  readonly status: number | null;

  constructor(message: string, status: number | null, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('BINANCE_REST', message, { ...context, status }, options);
    this.status = status;
  }
}
