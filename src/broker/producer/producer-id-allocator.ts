/**
 * Hands out never-reused producer ids for InitProducerId. Ids are reserved in
 * blocks of 1000; the end of the current block is persisted (and fsynced) before
 * any id in it is used, so a restarted broker starts after every id it gave out.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

const BLOCK = 1000n;

export class ProducerIdAllocator {
  private next: bigint;
  private blockEnd: bigint;

  constructor(private readonly path: string, minimum: bigint) {
    const stored = existsSync(path) ? BigInt(readFileSync(path, 'utf8').trim() || '0') : 0n;
    this.next = stored > minimum ? stored : minimum;
    this.blockEnd = this.next;
  }

  allocate(): bigint {
    if (this.next >= this.blockEnd) {
      this.blockEnd = this.next + BLOCK;
      const tmp = `${this.path}.tmp`;
      const fd = openSync(tmp, 'w');
      writeSync(fd, `${this.blockEnd}\n`);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, this.path);
    }
    const id = this.next;
    this.next += 1n;
    return id;
  }
}
