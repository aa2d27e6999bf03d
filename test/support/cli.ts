/**
 * Runs the k2 CLI as a child process, from the TypeScript sources (no build step),
 * exactly as a user would run `k2 ...`.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const K2_BIN = fileURLToPath(new URL('../../bin/k2.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnK2(args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [K2_BIN, ...args], {
    cwd: REPO_ROOT,
    ...opts,
    env: { ...process.env, K2_FROM_SOURCE: '1', ...opts.env },
  });
}

/** Runs k2 to completion and collects its output. */
export function runK2(args: string[], opts: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnK2(args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}
