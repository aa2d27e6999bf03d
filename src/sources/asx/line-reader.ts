/**
 * Reads a text file as batches of lines with their 1-based line numbers, in large
 * chunks (CRLF or LF; the CR is kept and dropped by the row splitter).
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

export interface LineBatch {
  /** Line number of lines[0]. */
  firstLine: number;
  lines: string[];
  /** Bytes of the file consumed so far (for progress). */
  bytesRead: number;
}

export const DEFAULT_CHUNK_BYTES = 1 << 16;

export async function* readLineBatches(path: string, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<LineBatch> {
  const fh = await open(path, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const buf = Buffer.allocUnsafe(chunkBytes);
    let tail = '';
    let lineNo = 1;
    let bytesRead = 0;
    for (;;) {
      const { bytesRead: n } = await fh.read(buf, 0, chunkBytes, null);
      if (n === 0) break;
      bytesRead += n;
      const text = tail + decoder.write(buf.subarray(0, n));
      const lines = text.split('\n');
      tail = lines.pop()!;
      if (lines.length > 0) {
        yield { firstLine: lineNo, lines, bytesRead };
        lineNo += lines.length;
      }
    }
    tail += decoder.end();
    if (tail.length > 0) yield { firstLine: lineNo, lines: [tail], bytesRead };
  } finally {
    await fh.close();
  }
}
