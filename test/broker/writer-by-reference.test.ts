import { describe, expect, it } from 'vitest';
import { Writer } from '../../src/broker/protocol/primitives.js';

describe('Writer records by reference (Fetch responses without a copy)', () => {
  it('produces the same bytes as copying records, with the parts in place and adjacent views merged', () => {
    const chunk = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    const other = Buffer.from('other-memory');
    const parts = [chunk.subarray(0, 100), chunk.subarray(100, 180), Buffer.alloc(0), other, chunk.subarray(200, 300)];
    const build = (w: Writer, byRef: boolean): void => {
      w.int32(0).int32(7).string('topic');
      if (byRef) w.recordsByReference(parts);
      else w.records(parts);
      w.int16(-1);
      if (byRef) w.recordsByReference([]);
      else w.records([]);
      w.int32(42);
    };
    const copied = new Writer(8);
    build(copied, false);
    const byRef = new Writer(8);
    build(byRef, true);
    const out = byRef.finishParts();
    expect(Buffer.concat(out).equals(copied.finish())).toBe(true);
    expect(byRef.totalLength).toBe(copied.length);
    // the two adjacent chunk views went out as one view of the same memory, not a copy
    const merged = out.find((b) => b.length === 180)!;
    expect(merged.buffer).toBe(chunk.buffer);
    expect(merged.byteOffset).toBe(chunk.byteOffset);
    expect(out).toContain(other);
    expect(() => byRef.finish()).toThrow(/finishParts/);
  });
});
