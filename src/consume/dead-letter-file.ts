/**
 * Dead-letter file for records the consumer cannot decode or accept: one JSON line
 * per record with topic, partition, offset, error and the base64 payload, so
 * nothing is lost and the record can be replayed after a fix.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface DeadLetterEntry {
  topic: string;
  partition: number;
  offset: string;
  error: string;
  payload_base64: string;
  key?: string | null;
  at?: string;
}

export class DeadLetterFile {
  private fd: number | null = null;
  private count = 0;
  readonly path: string;

  constructor(dir: string, name: string) {
    this.path = join(dir, name);
    mkdirSync(dir, { recursive: true });
  }

  write(entry: DeadLetterEntry): void {
    if (this.fd === null) this.fd = openSync(this.path, 'a');
    writeSync(this.fd, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
    this.count++;
  }

  get written(): number {
    return this.count;
  }

  /** Makes the entries durable; called before the offsets past them are committed. */
  sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
