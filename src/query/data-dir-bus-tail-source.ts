/**
 * The bus tail of whichever k2 process serves this data dir's embedded broker right now.
 *
 * A long-lived reader (`k2 serve`) may start before the `k2 stream`, `k2 demo` or
 * `k2 broker` whose broker holds the fresh rows, or outlive it. So each read looks the
 * owner up again (its lock file: one small read and a liveness check), keeps the
 * BusTailSource while the owner's endpoints stay the same, and starts a new one when
 * they change. With no owner, the read fails with FRESH_NO_BUS, which the scan reports
 * as the reason it has no fresh rows. Each read has the BusTailSource's deadline.
 */
import type { BusEndpoints } from '../bus/endpoints.js';
import { findRunningBroker } from '../bus/bus-session.js';
import type { Logger } from '../log/logger.js';
import { K2Error } from '../model/errors.js';
import { BusTailSource } from './bus-tail-source.js';
import type { CommittedOffsets } from './committed-offsets.js';
import type { QueryTable } from './table-schema.js';
import { FRESH_NO_BUS, FreshReadAbortedError, type TailRecords, type TailSource } from './tail-source.js';

export interface DataDirBusTailSourceOptions {
  dataDir: string;
  logger: Logger;
  /** See BusTailSourceOptions.reuseMs. */
  reuseMs?: number;
  /** See BusTailSourceOptions.timeoutMs. */
  timeoutMs?: number;
  /** See BusTailSourceOptions.maxRecords. */
  maxRecords?: number;
  /** How the owner is found; defaults to the data dir's broker lock. */
  findBroker?: (dataDir: string) => BusEndpoints | null;
}

export class NoBusRunningError extends K2Error {
  constructor() {
    super('NO_BUS', FRESH_NO_BUS);
  }
}

export class DataDirBusTailSource implements TailSource {
  private current: { key: string; tail: BusTailSource } | null = null;
  /** Earlier owners' sources with reads still running underneath (see pendingReads). */
  private readonly retired = new Set<BusTailSource>();
  private aborted: string | null = null;

  constructor(private readonly opts: DataDirBusTailSourceOptions) {}

  async readTail(table: QueryTable, committed: CommittedOffsets): Promise<TailRecords> {
    if (this.aborted !== null) throw new FreshReadAbortedError(this.aborted);
    const endpoints = (this.opts.findBroker ?? findRunningBroker)(this.opts.dataDir);
    if (endpoints === null) {
      await this.drop();
      throw new NoBusRunningError();
    }
    const key = `${endpoints.brokers.join(',')} ${endpoints.registryUrl}`;
    if (this.current?.key !== key) {
      await this.drop();
      this.current = { key, tail: new BusTailSource({ endpoints, logger: this.opts.logger, reuseMs: this.opts.reuseMs, timeoutMs: this.opts.timeoutMs, maxRecords: this.opts.maxRecords }) };
    }
    if (this.aborted !== null) throw new FreshReadAbortedError(this.aborted); // aborted while dropping the old owner's source
    return this.current.tail.readTail(table, committed);
  }

  private async drop(): Promise<void> {
    const old = this.current;
    this.current = null;
    if (old === null) return;
    for (const t of this.retired) if (t.pendingReads() === 0) this.retired.delete(t);
    if (old.tail.pendingReads() > 0) this.retired.add(old.tail);
    await old.tail.close();
  }

  abort(reason: string): number {
    this.aborted ??= reason;
    let waiting = this.current?.tail.abort(reason) ?? 0;
    for (const t of this.retired) waiting += t.abort(reason);
    return waiting;
  }

  pendingReads(): number {
    let n = this.current?.tail.pendingReads() ?? 0;
    for (const t of this.retired) {
      const p = t.pendingReads();
      if (p === 0) this.retired.delete(t);
      n += p;
    }
    return n;
  }

  close(): Promise<void> {
    return this.drop();
  }
}
