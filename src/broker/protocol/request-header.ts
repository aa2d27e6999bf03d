/** Request header v1 (v2 for flexible versions: an extra tag buffer after client_id). */
import { isFlexibleRequest } from './api-keys.js';
import type { Reader } from './primitives.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads only api_key, api_version and correlation_id; enough to answer any request. */
export function readHeaderPrefix(r: Reader): Omit<RequestHeader, 'clientId'> {
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

export function readClientId(r: Reader, apiKey: number, apiVersion: number): string | null {
  const clientId = r.nullableString();
  if (isFlexibleRequest(apiKey, apiVersion)) r.skipTagBuffer();
  return clientId;
}
