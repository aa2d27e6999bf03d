/**
 * The split offsets of a Parquet file (Iceberg data_file.split_offsets): where each row group
 * starts, ascending. A row group starts at its first column chunk, that is at the chunk's
 * dictionary page when it has one, else at its first data page.
 *
 * Read from the file's footer, parsed by hyparquet (docs/decisions.md): a writer that has just
 * written a file knows the footer's size (DuckDB's RETURN_STATS gives it), so only the footer
 * and its 8-byte trailer are read. This replaced a `parquet_metadata()` query per batch, which
 * cost DuckDB 20-30 ms per flush of 28k rows.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parquetMetadata } from 'hyparquet/src/metadata.js';
import { IcebergError } from './errors.js';

/** The trailer after the footer: its length (4 bytes, little-endian) and the magic "PAR1". */
const TRAILER_BYTES = 8;

/** Split offsets from the end of a Parquet file: at least its footer and the 8-byte trailer. */
export function splitOffsetsFromTail(tail: Uint8Array, file = '(buffer)'): bigint[] {
  let meta;
  try {
    meta = parquetMetadata(tail, { geoparquet: false });
  } catch (err) {
    throw new IcebergError(`cannot read the Parquet footer of ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  const offsets = meta.row_groups.map((rg, i) => {
    let start: bigint | undefined;
    for (const c of rg.columns) {
      const m = c.meta_data;
      if (m === undefined) continue;
      const at = m.dictionary_page_offset ?? m.data_page_offset;
      if (start === undefined || at < start) start = at;
    }
    if (start === undefined) throw new IcebergError(`Parquet row group ${i} of ${file} has no column metadata`, { file, rowGroup: i });
    return start;
  });
  return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Split offsets of a Parquet file on disk. `footerBytes`, when known (DuckDB's RETURN_STATS
 * footer_size_bytes), saves reading the trailer first.
 */
export function readSplitOffsets(file: string, footerBytes?: number): bigint[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let need = footerBytes !== undefined && Number.isSafeInteger(footerBytes) && footerBytes > 0 ? footerBytes + TRAILER_BYTES : TRAILER_BYTES;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (need > size) throw new IcebergError(`Parquet file ${file} is shorter (${size} bytes) than its footer (${need})`, { file });
      const tail = Buffer.allocUnsafe(need);
      readFully(fd, tail, size - need, file);
      const declared = tail.readUInt32LE(need - TRAILER_BYTES) + TRAILER_BYTES;
      if (declared === need) return splitOffsetsFromTail(tail, file);
      need = declared; // the trailer alone, or a footer size that did not match: read what it declares
    }
    throw new IcebergError(`Parquet file ${file}: its footer length does not match its trailer`, { file });
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Buffer, position: number, file: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new IcebergError(`Parquet file ${file} ended while its footer was read`, { file });
    done += n;
  }
}
