import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.js';
import { runK2 } from '../support/cli.js';

describe('k2 CLI', () => {
  it('--help lists every subcommand', async () => {
    const r = await runK2(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['stream', 'load', 'consume', 'query', 'serve', 'broker', 'demo']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    }
    for (const flag of ['--data-dir', '--brokers', '--log-level', '--json']) expect(r.stdout).toContain(flag);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const r = await runK2(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });

  it('a bad K2_BROKERS value is reported with the variable name and exit 2', async () => {
    const r = await runK2(['query', 'symbols'], { env: { K2_BROKERS: 'nonsense' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('K2_BROKERS');
    expect(r.stderr).toContain('host:port');
  });

  it('a bad catalog or registry is blamed on where it came from, flag or variable, even when embedded', async () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['query', 'symbols'], { K2_CATALOG: 'bogus' }, 'invalid K2_CATALOG: "bogus"'],
      [['query', 'symbols', '--catalog', 'bogus'], { K2_CATALOG: 'filesystem' }, 'invalid --catalog: "bogus"'],
      // the registry is only used with --brokers, but a bad value is still reported
      [['query', 'symbols', '--registry', 'notaurl'], {}, 'invalid --registry: "notaurl"'],
      [['query', 'symbols'], { K2_REGISTRY_URL: 'notaurl' }, 'invalid K2_REGISTRY_URL: "notaurl"'],
      // load and stream hand the catalog to their consumer worker: still checked before anything starts
      [['load', 'asx', 'fixtures/asx/trades/3153.csv', '--catalog', 'foo://x'], {}, 'invalid --catalog: "foo://x"'],
      [['stream', 'binance', '--symbols', 'BTCUSDT', '--url', 'ws://127.0.0.1:1'], { K2_CATALOG: 'foo://x' }, 'invalid K2_CATALOG: "foo://x"'],
    ];
    for (const [args, env, message] of cases) {
      const r = await runK2(args, { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it('k2 consume with a busy --metrics-port is a usage error and exits (it used to hang)', async () => {
    const { createServer } = await import('node:net');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    const dir = tempDir();
    try {
      const r = await runK2(['--data-dir', dir.path, 'consume', '--once', '--metrics-port', String(port)], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`cannot serve metrics on --metrics-port ${port}`);
    } finally {
      busy.close();
      dir.cleanup();
    }
  });

  it('k2 consume --once against a broker that refuses connections fails, names it, exits, and prints no stack traces', async () => {
    const dir = tempDir();
    try {
      const r = await runK2(['--data-dir', dir.path, '--brokers', '127.0.0.1:1', 'consume', '--once'], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('cannot connect to Kafka at 127.0.0.1:1');
      expect(r.stderr).not.toMatch(/stack=|\n\s+at /);
    } finally {
      dir.cleanup();
    }
  }, 150_000);
});
