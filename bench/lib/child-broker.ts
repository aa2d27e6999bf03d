/**
 * A `k2 broker` child process for benchmarks that must tell the broker's CPU from the
 * client's, and CPU-time readers for this process and another one.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** CPU seconds (user + system) used so far by another process, from /proc; null where unavailable. */
export function cpuSecondsOfPid(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of this process so far, all threads. */
export function ownCpuSeconds(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}
