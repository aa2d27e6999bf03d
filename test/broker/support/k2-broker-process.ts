/** Runs `k2 broker` as a child process (the real CLI) and waits until it is ready. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { spawnK2 } from '../../support/cli.js';

export interface BrokerProcess {
  child: ChildProcess;
  bootstrap: string;
  registryUrl: string;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startBrokerProcess(dataDir: string, port: number, extra: string[] = []): Promise<BrokerProcess> {
  const child = spawnK2(['--data-dir', dataDir, '--json', 'broker', '--port', String(port), '--registry-port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ brokers: string; registry: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`k2 broker did not start: ${err}`)), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { brokers: string; registry: string });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`k2 broker exited with ${code}: ${err}`));
    });
  });
  return {
    child,
    bootstrap: ready.brokers,
    registryUrl: ready.registry,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
