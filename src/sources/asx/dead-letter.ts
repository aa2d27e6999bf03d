/**
 * The dead-letter file of an ASX load: one JSON object per rejected row, with the
 * file, 1-based line, reason, field and raw text, under
 * `<data-dir>/dead-letter/asx-<UTC time>.jsonl`. Created on the first rejection only.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RejectedRow } from './asx-file-reader.js';

export class DeadLetterFile {
  private path: string | null = null;
  private buffer: string[] = [];
  private count = 0;

  constructor(
    private readonly dataDir: string,
    private readonly prefix = 'asx',
    private readonly clock: () => Date = () => new Date(),
  ) {}

  write(rows: readonly RejectedRow[]): void {
    if (rows.length === 0) return;
    for (const r of rows) {
      this.buffer.push(JSON.stringify({ source: this.prefix, file: r.file, line: r.line, reason: r.reason, field: r.field, raw: r.raw }));
    }
    this.count += rows.length;
    if (this.buffer.length >= 1000) this.flush();
  }

  /** Writes buffered rows; returns the file path, or null when nothing was rejected. */
  flush(): string | null {
    if (this.buffer.length > 0) {
      if (this.path === null) {
        const dir = join(this.dataDir, 'dead-letter');
        mkdirSync(dir, { recursive: true });
        const stamp = this.clock().toISOString().replace(/[-:]/g, '').replace('.', '');
        this.path = join(dir, `${this.prefix}-${stamp}-${process.pid}.jsonl`);
      }
      appendFileSync(this.path, `${this.buffer.join('\n')}\n`);
      this.buffer = [];
    }
    return this.path;
  }

  get rejectedCount(): number {
    return this.count;
  }

  get filePath(): string | null {
    return this.path;
  }
}
