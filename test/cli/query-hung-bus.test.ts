/**
 * `k2 query --brokers <a broker that accepts and never answers>`: the fresh read is given up
 * at --fresh-timeout, the committed rows are printed with the reason, and the process exits.
 * kafkajs cannot cancel its request, so before the explicit exit the process waited for
 * kafkajs's own timeout (30 s and more) after printing: this test then fails by its timeout.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Blackhole } from '../support/blackhole.js';
import { REPO_ROOT, runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('k2 query with a broker that never answers', () => {
  const dir = tempDir('k2-query-hung-');
  let hole: Blackhole;
  beforeAll(async () => {
    hole = await Blackhole.start();
    const loaded = await runK2(['--data-dir', dir.path, '--log-level', 'warn', 'load', 'asx', join(REPO_ROOT, 'fixtures/asx/trades/3153.csv')]);
    expect(loaded.code, loaded.stderr).toBe(0);
  }, 60_000);
  afterAll(() => {
    hole.close();
    dir.cleanup();
  });

  it('answers with the committed rows and the reason, and exits', async () => {
    const r = await runK2(['--data-dir', dir.path, '--brokers', hole.address, 'query', '--symbol', 'MWR', '--fresh-timeout', '300', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(11);
    expect(r.stderr).toMatch(/the bus did not answer in time/);
    expect(hole.sockets.length).toBeGreaterThan(0); // it did try the broker
  }, 20_000);

  it('refuses a --fresh-timeout that is not a positive number of milliseconds', async () => {
    const r = await runK2(['--data-dir', dir.path, 'query', '--symbol', 'MWR', '--fresh-timeout', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fresh-timeout <ms>' argument '0' is invalid/);
  });
});
