/**
 * What the `k2 stream binance` CLI tests share: a Binance emulator per test and temporary
 * data dirs, closed and removed after each test (registers its own afterEach).
 */
import { afterEach } from 'vitest';
import { BinanceEmulator, type BinanceEmulatorOptions } from './binance-emulator.js';
import { tempDir } from './tmp.js';

export interface StreamCliEnv {
  /** Starts this test's emulator (closed after the test). */
  startEmulator(opts: BinanceEmulatorOptions): Promise<BinanceEmulator>;
  /** A fresh data dir (removed after the test). */
  dataDir(): string;
}

export function streamCliEnv(prefix: string): StreamCliEnv {
  let emu: BinanceEmulator | null = null;
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    await emu?.close();
    emu = null;
    for (const c of cleanups.splice(0)) c();
  });
  return {
    async startEmulator(opts) {
      emu = await BinanceEmulator.start(opts);
      return emu;
    },
    dataDir() {
      const d = tempDir(prefix);
      cleanups.push(d.cleanup);
      return d.path;
    },
  };
}
