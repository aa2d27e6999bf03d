/**
 * A tail read against a broker that accepts connections and never answers (a hung or
 * blackholed broker): the read ends at its deadline and the scan answers with the
 * committed rows, saying why; while that read still waits underneath, later reads do
 * not open more connections; abort() ends reads in flight at once (k2 serve's shutdown).
 *
 * Before these deadlines a read here waited for kafkajs's request timeout (30 s and its
 * retries): these tests then fail by their own timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { BusTailSource } from '../../src/query/bus-tail-source.js';
import { DataDirBusTailSource } from '../../src/query/data-dir-bus-tail-source.js';
import { FreshReadAbortedError, FreshReadTimeoutError, freshTimedOut, readFreshRows } from '../../src/query/tail-source.js';
import { Blackhole } from '../support/blackhole.js';

const TEST_TIMEOUT_MS = 20_000; // well below the ~30 s a read to this broker took before

describe('tail reads against a broker that never answers', () => {
  let hole: Blackhole;
  beforeAll(async () => {
    hole = await Blackhole.start();
  });
  afterAll(() => hole?.close());

  it(
    'end at their deadline: committed rows only, and the scan says why; no new connection while one still waits',
    async () => {
      const tail = new BusTailSource({ endpoints: hole.endpoints, logger: silentLogger, timeoutMs: 300 });
      const scan = await readFreshRows(tail, 'trades_v2', undefined, null);
      expect(scan).toEqual({ tail: null, freshUnavailable: freshTimedOut(300) });
      expect(scan.freshUnavailable).toBe('not read (the bus did not answer within 0.3 s: committed rows only)');
      // the given-up read still waits on its connection; the next query does not add one
      expect(tail.pendingReads()).toBe(1);
      const opened = hole.sockets.length;
      await expect(tail.readTail('quotes_v2', new Map())).rejects.toBeInstanceOf(FreshReadTimeoutError);
      expect(hole.sockets.length).toBe(opened);
      await tail.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'abort() ends the reads in flight at once and refuses later ones, for whichever owner the data dir has',
    async () => {
      const before = hole.sockets.length;
      const tail = new DataDirBusTailSource({ dataDir: '/unused', logger: silentLogger, findBroker: () => hole.endpoints, timeoutMs: 600_000 });
      const scan = readFreshRows(tail, 'trades_v2', undefined, null);
      await hole.connections(before + 1); // the read is waiting for the broker
      expect(tail.abort('k2 serve is shutting down')).toBe(1);
      expect(await scan).toEqual({ tail: null, freshUnavailable: 'not read (k2 serve is shutting down: committed rows only)' });
      await expect(tail.readTail('trades_v2', new Map())).rejects.toBeInstanceOf(FreshReadAbortedError);
      expect(tail.pendingReads()).toBe(1); // kafkajs still waits underneath; k2 serve exits regardless
      await tail.close();
    },
    TEST_TIMEOUT_MS,
  );
});
