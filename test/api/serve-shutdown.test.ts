/**
 * `k2 serve` whose fresh rows come from a broker that accepts connections and never
 * answers (a hung or blackholed Kafka): SIGINT stops it, the request waiting on the bus
 * is answered with the committed rows and the reason, and the process exits 0.
 *
 * Nothing here is timed. Before the shutdown deadline, the request waited for kafkajs's
 * request timeout (30 s and more) and the process with it: these tests then fail by
 * their own timeout, or by the reason the request gives.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Blackhole } from '../support/blackhole.js';
import { spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

interface Served {
  child: ChildProcess;
  base: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `k2 --brokers <hole> serve --port 0 ...`, once it listens. */
async function serve(dataDir: string, brokers: string, extra: string[] = []): Promise<Served> {
  const child = spawnK2(['--data-dir', dataDir, '--brokers', brokers, 'serve', '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((e) => reject(new Error(`k2 serve exited ${e.code}: ${err}`)));
  });
  return { child, base, stderr: () => err, exited };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
  void what;
}

type Answer = { data: unknown[]; meta: { scans: Array<{ table: string; freshUnavailable: string | null }> } };

describe('k2 serve with a broker that never answers', () => {
  const dir = tempDir('k2-serve-hung-');
  let hole: Blackhole;
  beforeAll(async () => {
    hole = await Blackhole.start();
  });
  afterAll(() => {
    hole?.close();
    dir.cleanup();
  });

  it('SIGINT: stops accepting, answers the request waiting on the bus with committed rows and the reason, exits 0', async () => {
    const s = await serve(dir.path, hole.address);
    try {
      const connected = hole.sockets.length;
      const pending = fetch(`${s.base}/v1/trades?symbol=BTCUSDT`);
      await hole.connections(connected + 1); // the request's tail read waits for the broker
      s.child.kill('SIGINT');
      await until('k2 serve to stop accepting', () => /k2 serve stopping/.test(s.stderr()));
      // no new requests once stopping: refused, or 503 on a connection kept alive
      const late = await fetch(`${s.base}/health`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(late);

      const res = await pending;
      expect(res.status).toBe(200);
      const body = (await res.json()) as Answer;
      expect(body.data).toEqual([]);
      expect(body.meta.scans[0]!.freshUnavailable).toBe('not read (k2 serve is shutting down: committed rows only)');
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(s.stderr()).toMatch(/aborted their fresh reads reads=1 reason="?k2 serve is shutting down/);
    } finally {
      s.child.kill('SIGKILL');
    }
  }, 45_000);

  it('a read past --fresh-timeout answers with committed rows and says why; SIGTERM then exits 0', async () => {
    const s = await serve(dir.path, hole.address, ['--fresh-timeout', '500']);
    try {
      const res = await fetch(`${s.base}/v1/trades?symbol=BTCUSDT`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Answer;
      expect(body.meta.scans[0]!.freshUnavailable).toBe('not read (the bus did not answer within 0.5 s: committed rows only)');
      // the given-up read still waits on the broker underneath: the next query says the same at once
      const again = (await (await fetch(`${s.base}/v1/trades?symbol=BTCUSDT`)).json()) as Answer;
      expect(again.meta.scans[0]!.freshUnavailable).toBe('not read (the bus did not answer within 0.5 s: committed rows only)');
      s.child.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(s.stderr()).toMatch(/k2 serve stopped bus_reads_left=1/);
    } finally {
      s.child.kill('SIGKILL');
    }
  }, 45_000);
});
