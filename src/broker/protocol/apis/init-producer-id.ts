/** InitProducerId (key 22), v0-v1. Only idempotent (non-transactional) producers are supported. */
import type { Reader, Writer } from '../primitives.js';

export function decodeInitProducerIdRequest(r: Reader): { transactionalId: string | null } {
  const transactionalId = r.nullableString();
  r.int32(); // transaction_timeout_ms
  return { transactionalId };
}

export function encodeInitProducerIdResponse(w: Writer, res: { error: number; producerId: bigint; epoch: number }): void {
  w.int32(0).int16(res.error).int64(res.producerId).int16(res.epoch);
}
