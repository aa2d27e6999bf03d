/**
 * The guards of the stream's bus re-homing (BusPublisher in src/cli/stream-bus-publisher.ts),
 * when the `k2 broker` whose bus `k2 stream binance` borrowed is killed:
 *
 *   (a) one re-homing at a time: concurrent publishes all wait for the same one, a single new
 *       home is opened, and every record published is in the topic exactly once;
 *   (b) a failed re-homing is logged and tried again later with a doubling delay, never in a
 *       tight loop; publishes meanwhile fail fast with a BusError; once the obstacle is gone
 *       the stream re-homes and publishes;
 *   (c) close() during a re-homing waits for it (within its deadline) and closes what it
 *       opened; past the deadline the re-homing closes it when it finishes: either way
 *       nothing is left running and the data dir's bus can be started again.
 *
 * Real parts: a `k2 broker` child process killed with SIGKILL, the CLI's own in-process
 * publisher (openBusPublisher), the data dir's topics read back through a fresh bus. The log
 * is captured as JSON lines in memory. No wall-clock assertions: every wait is for a
 * condition (with a generous timeout); the assertions are about counts and order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from '../../src/broker/data-dir-lock.js';
import { startBus, type BusSession } from '../../src/bus/bus-session.js';
import { BusError } from '../../src/bus/errors.js';
import { readTopicTail } from '../../src/bus/topic-tail-reader.js';
import { openBusPublisher, type StreamPublishSession } from '../../src/cli/stream-bus-publisher.js';
import type { GlobalOptions } from '../../src/config/global-options.js';
import { createLogger, silentLogger, type Logger } from '../../src/log/logger.js';
import type { TaggedRecord } from '../../src/model/record-kind.js';
import { topicName } from '../../src/model/topics.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { v2Type } from '../../src/schema/v2-schemas.js';
import { decodeWire } from '../../src/schema/wire-format.js';
import { BINANCE_EXCHANGE } from '../../src/sources/binance/mapper.js';
import { freePort, startBrokerProcess, type BrokerProcess } from '../broker/support/k2-broker-process.js';
import { tempDir } from '../support/tmp.js';

const TRADES_TOPIC = topicName('crypto', 'trades', BINANCE_EXCHANGE);
const SYMBOL = 'BTCUSDT';

const brokers: BrokerProcess[] = [];
const children: ChildProcess[] = [];
const sessions: StreamPublishSession[] = [];
const buses: BusSession[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close(Date.now() + 3_000).catch(() => undefined);
  for (const b of buses.splice(0)) await b.close().catch(() => undefined);
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await exited;
    }
  }
  for (const b of brokers.splice(0)) await b.stop('SIGKILL');
  for (const c of cleanups.splice(0)) c();
});

function dir(prefix: string): string {
  const d = tempDir(prefix);
  cleanups.push(d.cleanup);
  return d.path;
}

function globalsFor(dataDir: string): GlobalOptions {
  return { dataDir, brokers: null, logLevel: 'info', json: true };
}

interface LogEntry {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A logger writing JSON lines to memory; `mark` puts the test's own events in the same sequence. */
class CapturedLog {
  readonly entries: LogEntry[] = [];
  /** Called synchronously with every line as it is logged. */
  onEntry: ((e: LogEntry) => void) | null = null;
  readonly logger: Logger = createLogger({
    level: 'info',
    json: true,
    write: (line) => {
      const e = JSON.parse(line) as LogEntry;
      this.entries.push(e);
      this.onEntry?.(e);
    },
  });

  mark(msg: string): void {
    this.entries.push({ level: 'test', msg });
  }

  /** Indexes of the entries matching `pred`. */
  indexes(pred: (e: LogEntry) => boolean): number[] {
    return this.entries.flatMap((e, i) => (pred(e) ? [i] : []));
  }

  tail(n = 40): string {
    return this.entries
      .slice(-n)
      .map((e) => JSON.stringify(e))
      .join('\n');
  }
}

const isRehomed = (e: LogEntry): boolean => e.level === 'info' && e.msg === 'bus: re-homed';
const isRehomeFailed = (e: LogEntry): boolean => e.level === 'error' && e.msg === 'bus: re-homing failed; trying again';
const isExited = (pid: number) => (e: LogEntry): boolean => e.level === 'warn' && e.msg.startsWith('bus: ') && e.msg.includes('exited') && e.pid === pid;

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string, log?: CapturedLog): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${log ? `\n${log.tail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let nextTradeId = 1;
/** Distinct v2 trades of the stream's topic, each with its own trade_id. */
function trades(n: number): TaggedRecord[] {
  return Array.from({ length: n }, () => {
    const id = nextTradeId++;
    const record: TradeV2 = {
      message_id: randomUUID(),
      trade_id: `BINANCE-${id}`,
      symbol: SYMBOL,
      exchange: BINANCE_EXCHANGE,
      asset_class: 'crypto',
      timestamp: 1_718_035_200_000_000n + BigInt(id) * 1000n,
      price: 6_700_000_000_000n + BigInt(id), // 67000.00000000 + id e-8
      quantity: 1_000_000n, // 0.01
      currency: 'USDT',
      side: id % 2 === 0 ? 'BUY' : 'SELL',
      trade_conditions: [],
      source_sequence: BigInt(id),
      ingestion_timestamp: 1_718_035_200_500_000n + BigInt(id),
      platform_sequence: null,
      vendor_data: null,
    };
    return { kind: 'trades', record };
  });
}

const idsOf = (batch: TaggedRecord[]): string[] => batch.map((r) => (r.record as TradeV2).trade_id);

/**
 * Publishes until it succeeds, as the stream client retries a batch; returns the failed attempts.
 * The first retry is immediate: a publish that fails because the host is gone finds the
 * re-homing already under way (it starts before the publish is failed), so it must join it.
 */
async function publishUntilDone(session: StreamPublishSession, batch: TaggedRecord[], log: CapturedLog): Promise<unknown[]> {
  const failures: unknown[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await session.sink.publish(batch);
      return failures;
    } catch (err) {
      failures.push(err);
      if (Date.now() > deadline) throw new Error(`publish kept failing: ${String(err)}\n${log.tail()}`);
      if (failures.length > 1) await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The trade ids in the data dir's trades topic, read through a bus this test starts (so none may be live). */
async function tradeIdsInDataDir(dataDir: string): Promise<string[]> {
  const bus = await startBus({ globals: globalsFor(dataDir), logger: silentLogger });
  try {
    expect(bus.mode).toBe('in-process');
    const tails = await readTopicTail(bus.endpoints, { topic: TRADES_TOPIC, logger: silentLogger });
    const type = v2Type('trades');
    return tails.flatMap((t) => t.messages.map((m) => decodeWire<TradeV2>(m.value!, type).trade_id));
  } finally {
    await bus.close();
  }
}

/** The data dir served by a `k2 broker` child, and the stream's publisher borrowing its bus. */
async function borrowedSetup(log: CapturedLog): Promise<{ dataDir: string; broker: BrokerProcess; session: StreamPublishSession }> {
  const dataDir = join(dir('k2-rehome-guards-'), 'data');
  const broker = await startBrokerProcess(dataDir, await freePort());
  brokers.push(broker);
  const session = await openBusPublisher(globalsFor(dataDir), log.logger, { registryUrl: undefined, consume: false });
  sessions.push(session);
  expect(session.target).toContain(`the bus of k2 broker, pid ${broker.child.pid}`);
  return { dataDir, broker, session };
}

/** The session closed as the stream closes it at shutdown (with a deadline), and no longer the afterEach's to close. */
async function closeSession(session: StreamPublishSession): Promise<void> {
  sessions.splice(sessions.indexOf(session), 1);
  await session.close(Date.now() + 9_000);
}

/** SIGKILL: the broker leaves its lock behind and cannot clean anything up. */
async function killBroker(broker: BrokerProcess): Promise<number> {
  const pid = broker.child.pid!;
  broker.child.kill('SIGKILL');
  await broker.stop();
  return pid;
}

/**
 * Calls `close` right after the re-homing's own broker logs `broker: listening` (the host's
 * exit seen first): the re-homing then holds the data dir's lock and has not finished. Marks
 * `test: close called` and `test: close resolved` in the log; returns the close once called.
 */
function closeWhenRehomingListens(log: CapturedLog, close: () => Promise<void>): () => Promise<void> | null {
  let closed: Promise<void> | null = null;
  let exitedSeen = false;
  log.onEntry = (e) => {
    if (e.level === 'warn' && e.msg.includes('exited')) exitedSeen = true;
    if (exitedSeen && e.msg === 'broker: listening' && closed === null) {
      log.onEntry = null;
      // right after this line's caller goes on (the re-homing is still under way)
      queueMicrotask(() => {
        log.mark('test: close called');
        closed = close().then(() => log.mark('test: close resolved'));
      });
    }
  };
  return () => closed;
}

function counts(ids: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

describe('k2 stream binance: the guards of re-homing a borrowed bus', () => {
  it('(a) concurrent publishes during a re-homing share it: one new home, every record in the topic exactly once', async () => {
    const log = new CapturedLog();
    const { dataDir, broker, session } = await borrowedSetup(log);

    const first = trades(20);
    await session.sink.publish(first);

    const brokerPid = await killBroker(broker);
    // eight publishes at once, each retried until it succeeds (as the stream client does)
    const batches = Array.from({ length: 8 }, () => trades(10));
    log.mark('test: publishes started');
    const failures = await Promise.all(batches.map((b) => publishUntilDone(session, b, log)));
    await closeSession(session);

    // one host gone, one re-homing, however many callers ran into it
    expect(log.indexes(isExited(brokerPid)), log.tail()).toHaveLength(1);
    const rehomed = log.indexes(isRehomed);
    expect(rehomed, log.tail()).toHaveLength(1);
    expect(log.entries[rehomed[0]!]).toMatchObject({ mode: 'in-process' });
    expect(log.indexes(isRehomeFailed), log.tail()).toEqual([]);
    // the publishes were all under way while the re-homing ran (they started before it ended),
    // and none failed more than once: the attempt on the dead bus (unless the host check had
    // started the re-homing first), then the shared re-homing and a send on the new home
    expect(log.entries.findIndex((e) => e.msg === 'test: publishes started')).toBeLessThan(rehomed[0]!);
    expect(failures.map((f) => f.length).every((n) => n <= 1), String(failures.flat())).toBe(true);
    expect(failures.flat().every((e) => e instanceof BusError), String(failures.flat())).toBe(true);
    // the data dir's bus was started once: one embedded broker listening (and stopped at close)
    expect(log.indexes((e) => e.msg === 'broker: listening'), log.tail()).toHaveLength(1);
    expect(log.indexes((e) => e.msg === 'broker: stopped'), log.tail()).toHaveLength(1);

    // The old producer's abandoned sends go on retrying in kafkajs for ~20 s after the kill;
    // once the re-homing let that producer go, its connection errors are not logged (they
    // would read as trouble with the new bus, or after the stream has closed)
    const closedAt = log.entries.length;
    await new Promise((r) => setTimeout(r, 3_000));
    const lateKafkajsErrors = log.entries.slice(closedAt).filter((e) => e.level === 'error' && e.component === 'kafkajs');
    expect(lateKafkajsErrors.map((e) => JSON.stringify(e))).toEqual([]);

    // Exactly once: the broker had exited before any of these sends started, so none of the
    // attempts that failed can have reached it; the retries went to the one new home. (A
    // duplicate could only come from a send the old broker wrote but never acknowledged:
    // impossible here since it was dead first.)
    const inTopic = counts(await tradeIdsInDataDir(dataDir));
    const expected = [...idsOf(first), ...batches.flatMap(idsOf)];
    expect(inTopic.size).toBe(expected.length);
    for (const id of expected) expect(inTopic.get(id), id).toBe(1);
  }, 120_000);

  it('(b) a failing re-homing is retried with a doubling delay, publishes fail fast meanwhile, and it re-homes once the obstacle is gone', async () => {
    const log = new CapturedLog();
    const { dataDir, broker, session } = await borrowedSetup(log);
    const first = trades(5);
    await session.sink.publish(first);

    // The obstacle: the data dir's lock names a live process that serves no usable bus. A
    // `sleep` holds the pid (with its real start time, so the lock reads as live); the lock's
    // Kafka endpoint answers (a decoy bus on another data dir) but its registry port is
    // closed, so every attempt to borrow it fails at once. (A closed Kafka port would fail
    // too, but only after kafkajs's ~16 s of connect retries per attempt.)
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    const started = processStartTime(sleeper.pid!);
    expect(started).toMatch(/^\d+$/);
    const decoy = await startBus({ globals: globalsFor(dir('k2-rehome-decoy-')), logger: silentLogger });
    buses.push(decoy);
    const closedPort = await freePort();
    const brokerDir = join(dataDir, 'broker');
    mkdirSync(brokerDir, { recursive: true });
    const lockFile = join(brokerDir, 'broker.lock');
    // written before the kill (the k2 broker never reads its lock again), so that no re-homing
    // can see the data dir free in between
    writeFileSync(`${lockFile}.test`, JSON.stringify({ pid: sleeper.pid, kafka: decoy.endpoints.brokers[0], registry: `http://127.0.0.1:${closedPort}`, token: randomUUID(), owner: 'fake host', started }));
    renameSync(`${lockFile}.test`, lockFile);

    const brokerPid = await killBroker(broker);
    await waitUntil(() => log.indexes(isRehomeFailed).length >= 1, 30_000, 'a first failed re-homing', log);

    // during the wait before the next attempt: publishes fail fast with a BusError saying when
    // it is, and none of them starts an attempt of its own
    const meanwhile = await Promise.allSettled(Array.from({ length: 10 }, () => session.sink.publish(trades(1))));
    expect(log.indexes(isRehomeFailed), log.tail()).toHaveLength(1);
    for (const r of meanwhile) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as unknown;
      expect(err).toBeInstanceOf(BusError);
      expect((err as Error).message).toMatch(/not re-homed yet; next attempt in \d+\.\d s/);
    }

    await waitUntil(() => log.indexes(isRehomeFailed).length >= 2, 30_000, 'a second failed re-homing', log);
    // the obstacle goes: its owner exits (and is reaped), so the lock is stale
    const sleeperExited = new Promise<void>((resolve) => sleeper.once('exit', () => resolve()));
    sleeper.kill('SIGKILL');
    await sleeperExited;

    const after = trades(5);
    await publishUntilDone(session, after, log);
    await closeSession(session);

    const failed = log.indexes(isRehomeFailed).map((i) => log.entries[i]!);
    // doubling from 1 s: 1000, 2000 (and 4000 if a third attempt ran before the sleeper died)
    expect(failed.length, log.tail()).toBeGreaterThanOrEqual(2);
    expect(failed.map((e) => e.retry_in_ms)).toEqual(failed.map((_, i) => 1000 * 2 ** i));
    for (const e of failed) expect(String(e.error)).toContain(`http://127.0.0.1:${closedPort}`);
    expect(log.indexes(isExited(brokerPid))).toHaveLength(1);
    // then one re-homing that worked, after the failed ones, to the data dir's own bus
    const rehomed = log.indexes(isRehomed);
    expect(rehomed, log.tail()).toHaveLength(1);
    expect(rehomed[0]!).toBeGreaterThan(log.indexes(isRehomeFailed).at(-1)!);
    expect(log.entries[rehomed[0]!]).toMatchObject({ mode: 'in-process' });

    // what was published before and after is in the data dir's topic; what failed is not
    const inTopic = counts(await tradeIdsInDataDir(dataDir));
    expect([...inTopic.keys()].sort()).toEqual([...idsOf(first), ...idsOf(after)].sort());
  }, 120_000);

  it('(c) close() during a re-homing waits for it (within its deadline) and closes what it opened: the data dir is free afterwards', async () => {
    const log = new CapturedLog();
    const { dataDir, broker, session } = await borrowedSetup(log);
    await session.sink.publish(trades(5));

    // close() once the re-homing has started the data dir's broker (it holds the lock then),
    // before it has finished (no `bus: re-homed` yet)
    const closed = closeWhenRehomingListens(log, () => closeSession(session));

    const brokerPid = await killBroker(broker);
    // a publish runs into the dead bus and sets the re-homing off (or the host check does)
    const publishing = session.sink.publish(trades(5)).catch((err: unknown) => err);
    await waitUntil(() => closed() !== null, 30_000, 'close() during the re-homing', log);
    await closed();
    await publishing;

    const at = (msg: string): number => log.entries.findIndex((e) => e.msg === msg);
    const exited = log.indexes(isExited(brokerPid));
    expect(exited, log.tail()).toHaveLength(1);
    const listening = log.indexes((e) => e.msg === 'broker: listening');
    expect(listening, log.tail()).toHaveLength(1);
    const stopped = log.indexes((e) => e.msg === 'broker: stopped');
    expect(stopped, log.tail()).toHaveLength(1);
    const closeCalled = at('test: close called');
    const closeResolved = at('test: close resolved');
    // the order: the host exits, the re-homing starts a broker, close() is called, and only
    // then does the re-homing finish; that broker is stopped before close() resolves
    expect(exited[0]!).toBeLessThan(listening[0]!);
    expect(listening[0]!).toBeLessThan(closeCalled);
    expect(log.indexes(isRehomed).every((i) => i > closeCalled && i < closeResolved), log.tail()).toBe(true);
    expect(stopped[0]!, log.tail()).toBeGreaterThan(closeCalled);
    expect(stopped[0]!, log.tail()).toBeLessThan(closeResolved);

    // nothing left running: the lock is gone and the data dir's bus starts here again
    expect(existsSync(join(dataDir, 'broker', 'broker.lock'))).toBe(false);
    const again = await startBus({ globals: globalsFor(dataDir), logger: silentLogger });
    buses.push(again);
    expect(again.mode).toBe('in-process');
    expect(again.embedded).toBe(true);
    buses.splice(buses.indexOf(again), 1);
    await again.close();
    expect(existsSync(join(dataDir, 'broker', 'broker.lock'))).toBe(false);
  }, 120_000);

  it('(c) close() during a re-homing with no time left to wait for it: the re-homing closes what it opened when it finishes', async () => {
    const log = new CapturedLog();
    const { dataDir, broker, session } = await borrowedSetup(log);
    await session.sink.publish(trades(5));

    // as above, but with a deadline already too close to wait for the re-homing
    const closed = closeWhenRehomingListens(log, () => {
      sessions.splice(sessions.indexOf(session), 1);
      return session.close(Date.now() + 500);
    });

    const brokerPid = await killBroker(broker);
    const publishing = session.sink.publish(trades(5)).catch((err: unknown) => err);
    await waitUntil(() => closed() !== null, 30_000, 'close() during the re-homing', log);
    await closed();
    await publishing;
    // the re-homing goes on after close() and, finding the stream closed, stops its broker
    await waitUntil(() => log.indexes((e) => e.msg === 'broker: stopped').length > 0, 30_000, 'the re-homing to close what it opened', log);

    expect(log.indexes(isExited(brokerPid)), log.tail()).toHaveLength(1);
    expect(log.indexes((e) => e.msg === 'broker: listening'), log.tail()).toHaveLength(1);
    expect(log.indexes((e) => e.msg === 'broker: stopped'), log.tail()).toHaveLength(1);
    // close() did not wait (its budget was spent): it resolved before that broker stopped,
    // which never became the stream's home
    const closeResolved = log.entries.findIndex((e) => e.msg === 'test: close resolved');
    expect(closeResolved).toBeGreaterThan(log.entries.findIndex((e) => e.msg === 'test: close called'));
    expect(log.indexes((e) => e.msg === 'broker: stopped')[0]!).toBeGreaterThan(closeResolved);
    expect(log.indexes(isRehomed), log.tail()).toEqual([]);
    expect(existsSync(join(dataDir, 'broker', 'broker.lock'))).toBe(false);
    const again = await startBus({ globals: globalsFor(dataDir), logger: silentLogger });
    buses.push(again);
    expect(again.mode).toBe('in-process');
    buses.splice(buses.indexOf(again), 1);
    await again.close();
  }, 120_000);
});
