/** A `k2 broker` child process, for benchmarks that must tell the broker's CPU from the client's. */
import type { ChildProcess } from 'node:child_process';
import { spawnK2 } from '../../test/support/cli.js';

export interface ChildBroker {
  bootstrap: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `k2 broker` on ephemeral ports over `dataDir` (its topics are served as they are). */
export async function startChildBroker(dataDir: string): Promise<ChildBroker> {
  const child = spawnK2(['--data-dir', dataDir, '--json', '--log-level', 'warn', 'broker', '--port', '0', '--registry-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { brokers: string }).brokers);
    });
    child.once('exit', (code) => reject(new Error(`k2 broker exited with ${code}`)));
  });
  return {
    bootstrap,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
