/**
 * `k2 demo` as a user runs it, from the sources: in a pseudo-terminal (util-linux
 * `script`) the dashboard renders; without a TTY it prints plain summaries; both
 * end cleanly on --duration and print what was captured and how to query it.
 * `--replay` keeps the test off the internet (no live probe).
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { K2_BIN, REPO_ROOT, runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const dirs: { cleanup: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.cleanup()));

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Strips ANSI escape sequences (colours, cursor moves) from the terminal output. */
function screenText(raw: string): string {
  return raw.replace(/\u001B\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\u001B[()][A-Z0-9]/g, '').replace(/\r/g, '');
}

function runInPty(args: string[], dataDir: string, onOutput?: (screen: string, input: NodeJS.WritableStream) => void): Promise<{ code: number | null; out: string }> {
  const cmd = ['stty cols 150 rows 50;', 'exec', shellQuote(process.execPath), shellQuote(K2_BIN), ...args.map(shellQuote)].join(' ');
  return new Promise((resolve, reject) => {
    // A person at a terminal: without CI/CONTINUOUS_INTEGRATION, which make ink render only the last frame.
    const env: NodeJS.ProcessEnv = { ...process.env, K2_FROM_SOURCE: '1', K2_DATA_DIR: dataDir, FORCE_COLOR: '1', TERM: 'xterm-256color' };
    delete env.CI;
    delete env.CONTINUOUS_INTEGRATION;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      onOutput?.(screenText(out), child.stdin);
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    });
  });
}

describe('k2 demo', () => {
  it.skipIf(!hasScript)('renders the dashboard in a pseudo-terminal and exits cleanly after --duration 5', async () => {
    const dir = tempDir('k2-demo-pty-');
    dirs.push(dir);
    const { code, out } = await runInPty(['demo', '--duration', '5', '--replay'], dir.path);
    const screen = screenText(out);
    expect(code, screen.slice(-3000)).toBe(0);
    for (const text of ['REPLAY', 'SYNTHETIC sample session', 'Per symbol', 'Live tape', 'Pipeline health', 'Query: 1-minute bars BTCUSDT', '←/→ symbol · p pause · q quit']) {
      expect(screen, text).toContain(text);
    }
    // a trade on the tape: time, symbol, side, a BTC/ETH/BNB price at its realistic level
    expect(screen).toMatch(/\d\d:\d\d:\d\d\.\d{3}\s+(BTCUSDT\s+(BUY|SELL)\s+9\d{4}\.\d{2}|ETHUSDT\s+(BUY|SELL)\s+3\d{3}\.\d{2}|BNBUSDT\s+(BUY|SELL)\s+6\d{2}\.\d{2})/);
    expect(screen).toMatch(/WebSocket\s+open/);
    expect(screen).toMatch(/k2 demo captured [\d,]+ trades \(BTCUSDT [\d,]+, ETHUSDT [\d,]+, BNBUSDT [\d,]+\)/);
    expect(screen).toContain('query bars --symbol');
  });

  it.skipIf(!hasScript)('quits on q typed in the terminal, and reports what it captured', async () => {
    const dir = tempDir('k2-demo-q-');
    dirs.push(dir);
    let typed = false;
    const { code, out } = await runInPty(['demo', '--replay'], dir.path, (screen, input) => {
      if (!typed && /\d\d:\d\d:\d\d\.\d{3}\s+(BTC|ETH|BNB)USDT/.test(screen)) {
        typed = true;
        input.write('q');
      }
    });
    const screen = screenText(out);
    expect(typed, screen.slice(-2000)).toBe(true);
    expect(code, screen.slice(-2000)).toBe(0);
    expect(screen).toMatch(/k2 demo captured [1-9][\d,]* trades/);
  });

  it('runs the whole pipeline without a TTY: plain summaries, rows in Iceberg, and a report whose query works', async () => {
    const dir = tempDir('k2-demo-plain-');
    dirs.push(dir);
    // started as `npx k2 demo` is (npm exec sets npm_command): the hints say `npx k2`, since k2 is not on PATH
    const r = await runK2(['--data-dir', dir.path, 'demo', '--duration', '8', '--replay', '--summary-every', '3', '--symbols', 'btcusdt,ETHUSDT'], { timeoutMs: 120_000, env: { npm_command: 'exec' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/replaying the bundled SYNTHETIC sample session through ws:\/\/127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/\] REPLAY {2}websocket open/);
    expect(r.stdout).toMatch(/ {2}BTCUSDT {2}last 9\d{4}\.\d{2}/);
    expect(r.stdout).not.toContain('BNBUSDT');
    expect(r.stdout).not.toMatch(/\u001B\[/); // no terminal control codes in plain output
    const captured = /k2 demo captured ([\d,]+) trades \(BTCUSDT ([\d,]+), ETHUSDT ([\d,]+)\) and ([\d,]+) quotes/.exec(r.stdout);
    expect(captured, r.stdout).not.toBeNull();
    const [trades, btc, eth, quotes] = captured!.slice(1).map((n) => Number(n.replace(/,/g, '')));
    expect(btc! + eth!).toBe(trades);
    expect(trades).toBeGreaterThan(20);
    // everything captured was committed to Iceberg, exactly once
    expect(r.stdout).toContain(`stored: ${(trades! + quotes!).toLocaleString('en-US')} rows committed to Iceberg (market_data.trades_v2, market_data.quotes_v2), under ${dir.path}`);
    expect(r.stdout).toContain(`\n  npx k2 --data-dir ${dir.path} query bars --symbol BTCUSDT --interval 1m`);
    const q = await runK2(['--data-dir', dir.path, '--json', 'query', 'sql', 'SELECT symbol, count(*) AS n, count(DISTINCT trade_id) AS ids FROM trades GROUP BY symbol ORDER BY symbol'], { timeoutMs: 60_000 });
    expect(q.code, q.stderr).toBe(0);
    const rows = JSON.parse(q.stdout) as { symbol: string; n: number | string; ids: number | string }[];
    expect(rows.map((x) => [x.symbol, Number(x.n), Number(x.ids)])).toEqual([
      ['BTCUSDT', btc, btc],
      ['ETHUSDT', eth, eth],
    ]);
  });

  it('streams from --url (here a second replay server standing in for Binance) without probing', async () => {
    const { startReplayServer } = await import('../../src/demo/replay/replay-server.js');
    const { loadSession } = await import('../../src/demo/sample/session-file.js');
    const server = await startReplayServer({ session: loadSession(), speed: 5 });
    try {
      const dir = tempDir('k2-demo-url-');
      dirs.push(dir);
      const r = await runK2(['--data-dir', dir.path, 'demo', '--duration', '3', '--url', server.wsUrl, '--symbols', 'BTCUSDT'], { timeoutMs: 90_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('probing');
      expect(r.stdout).toMatch(/\] LIVE {2}websocket open/);
      expect(r.stdout).toMatch(/k2 demo captured [\d,]+ trades \(BTCUSDT [1-9][\d,]*\)/);
      expect(r.stdout).toContain(`source: LIVE ${server.wsUrl}`);
    } finally {
      await server.close();
    }
  });

  it('rejects symbols the sample session does not have, and bad flags, with exit 2', async () => {
    const bad = await runK2(['demo', '--replay', '--symbols', 'XRPUSDT', '--duration', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the sample session has no XRPUSDT; it holds BTCUSDT, ETHUSDT, BNBUSDT/);
    const dur = await runK2(['demo', '--replay', '--duration', '-3']);
    expect(dur.code).toBe(2);
    expect(dur.stderr).toMatch(/--duration/);
  });
});
