/**
 * CRC-32C (Castagnoli, reflected 0x82F63B78), as used by RecordBatch v2.
 *
 * Long inputs go to @node-rs/crc32's native crc32c when its prebuilt binding loads
 * (0.2-0.3 ns per byte from 16 KB up, ~0.9 ns at 1 KB; each call costs ~0.45 us, so
 * shorter inputs stay in JS). Everything else, and every platform without a binding,
 * uses the portable slicing-by-8 below: eight 256-entry tables, 8 bytes per step, with
 * the aligned middle loaded as 32-bit words on little-endian machines (0.8-1.8 ns per
 * byte). Both give the same value (test/broker/crc32c.test.ts); see docs/decisions.md.
 */
import { createRequire } from 'node:module';

type NativeCrc32c = (input: Uint8Array) => number;

/** From this length on, the native call beats the JS loop (measured: 1 KB is 2x faster, 256 B even). */
export const NATIVE_CRC32C_MIN_BYTES = 1024;

function loadNative(): NativeCrc32c | null {
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown };
    const f = typeof mod.crc32c === 'function' ? (mod.crc32c as NativeCrc32c) : null;
    // trust the binding only if it agrees with the definition on the standard check value
    return f !== null && f(Buffer.from('123456789')) >>> 0 === 0xe3069283 ? f : null;
  } catch {
    return null;
  }
}

const native = loadNative();

/** Whether the native binding is in use for long inputs (false means portable JS throughout). */
export const nativeCrc32cLoaded = native !== null;

/** CRC-32C of buf[start, end). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  if (native !== null && end - start >= NATIVE_CRC32C_MIN_BYTES) {
    return native(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
  }
  return crc32cPortable(buf, start, end);
}

const T = Array.from({ length: 8 }, () => new Int32Array(256));
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  T[0]![n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[0]![n]!;
  for (let t = 1; t < 8; t++) {
    c = T[0]![c & 0xff]! ^ (c >>> 8);
    T[t]![n] = c;
  }
}
const [T0, T1, T2, T3, T4, T5, T6, T7] = T as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];

/** Whether 32-bit words read through an Int32Array have the first byte lowest (true on x86 and ARM). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** CRC-32C of buf[start, end) in JS (slicing-by-8). */
export function crc32cPortable(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  let i = start;
  if (LITTLE_ENDIAN && end - start >= 64) {
    // Aligned middle as 32-bit words: two loads per 8 bytes instead of eight.
    while (((buf.byteOffset + i) & 3) !== 0) crc = T0[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
    const words = new Int32Array(buf.buffer, buf.byteOffset + i, ((end - i) >>> 3) * 2);
    const n = words.length;
    for (let w = 0; w < n; w += 2) {
      const a = crc ^ words[w]!;
      const b = words[w + 1]!;
      crc = T7[a & 0xff]! ^ T6[(a >>> 8) & 0xff]! ^ T5[(a >>> 16) & 0xff]! ^ T4[a >>> 24]! ^ T3[b & 0xff]! ^ T2[(b >>> 8) & 0xff]! ^ T1[(b >>> 16) & 0xff]! ^ T0[b >>> 24]!;
    }
    i += n * 4;
  }
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      T7[a & 0xff]! ^
      T6[(a >>> 8) & 0xff]! ^
      T5[(a >>> 16) & 0xff]! ^
      T4[a >>> 24]! ^
      T3[buf[i + 4]!]! ^
      T2[buf[i + 5]!]! ^
      T1[buf[i + 6]!]! ^
      T0[buf[i + 7]!]!;
  }
  for (; i < end; i++) crc = T0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
