/** ApiVersions (key 18), v0-v3. v3 is flexible, but its response keeps header v0 (KIP-511). */
import { ApiKey, SUPPORTED_APIS, supportedRange } from '../api-keys.js';
import { ErrorCode } from '../error-codes.js';
import type { Reader, Writer } from '../primitives.js';

export function decodeApiVersionsRequest(r: Reader, version: number): void {
  if (version >= 3) {
    r.compactString();
    r.compactString();
    r.skipTagBuffer();
  }
}

export function encodeApiVersionsResponse(w: Writer, version: number): void {
  w.int16(ErrorCode.NONE);
  if (version >= 3) {
    w.unsignedVarint(SUPPORTED_APIS.length + 1);
    for (const a of SUPPORTED_APIS) w.int16(a.apiKey).int16(a.min).int16(a.max).unsignedVarint(0);
    w.int32(0).unsignedVarint(0);
    return;
  }
  w.array(SUPPORTED_APIS, (x, a) => x.int16(a.apiKey).int16(a.min).int16(a.max));
  if (version >= 1) w.int32(0);
}

/** The answer to an ApiVersions version we do not support: a v0 body with error 35 and our own range. */
export function encodeApiVersionsUnsupported(w: Writer): void {
  const own = supportedRange(ApiKey.ApiVersions)!;
  w.int16(ErrorCode.UNSUPPORTED_VERSION).int32(1).int16(own.apiKey).int16(own.min).int16(own.max);
}
