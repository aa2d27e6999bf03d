/**
 * librdkafka compatibility: kcat -L, -P, -C -o beginning and -G against `k2 broker`
 * run as a child process. .ci/run installs kcat (apt-get install -y kcat).
 */
import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.js';
import { freePort, startBrokerProcess, type BrokerProcess } from './support/k2-broker-process.js';

function kcatPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v kcat || command -v kafkacat'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
const KCAT = kcatPath();
// Skipped only on a developer machine without kcat; on CI a missing kcat is an error.
if (!KCAT && process.env.CI) throw new Error('kcat is not installed: .ci/run must install it (apt-get install -y kcat)');

function kcat(args: string[], input?: string, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(KCAT!, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

const dir = tempDir('k2-kcat-');
let broker: BrokerProcess;
beforeAll(async () => {
  if (!KCAT) return;
  broker = await startBrokerProcess(dir.path, await freePort(), ['--partitions', '2']);
}, 90_000);
afterAll(async () => {
  await broker?.stop();
  dir.cleanup();
});

describe.skipIf(!KCAT)('kcat (librdkafka) against k2 broker', () => {
  it('-P produces keyed messages and -L lists the broker and topic', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `key${i % 4}:value-${i}`).join('\n');
    const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'kcat-topic', '-K', ':'], `${lines}\n`);
    expect(p.code).toBe(0);
    const l = await kcat(['-b', broker.bootstrap, '-L']);
    expect(l.code).toBe(0);
    expect(l.stdout).toMatch(/1 brokers:\s+broker 1 at 127\.0\.0\.1:\d+ \(controller\)/);
    expect(l.stdout).toMatch(/topic "kcat-topic" with 2 partitions/);
  });

  it('-P with the idempotent producer enabled', async () => {
    const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'kcat-idem', '-X', 'enable.idempotence=true'], 'a\nb\nc\n');
    expect(p.code).toBe(0);
    const c = await kcat(['-b', broker.bootstrap, '-C', '-t', 'kcat-idem', '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(c.stdout.trim().split('\n').sort()).toEqual(['a', 'b', 'c']);
  });

  it('-C -o beginning reads everything back and stops at the end', async () => {
    const c = await kcat(['-b', broker.bootstrap, '-C', '-t', 'kcat-topic', '-o', 'beginning', '-e', '-f', '%k=%s\n']);
    expect(c.code).toBe(0);
    const got = c.stdout.trim().split('\n').sort();
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `key${i % 4}=value-${i}`).sort());
  });

  it('-G joins a consumer group, consumes, and commits', async () => {
    const g = await kcat(['-b', broker.bootstrap, '-G', 'kcat-group', 'kcat-topic', '-o', 'beginning', '-e', '-f', '%s\n'], undefined, 60_000);
    expect(g.stderr).toMatch(/rebalanced/);
    expect(g.stdout.trim().split('\n').sort()).toEqual(Array.from({ length: 20 }, (_, i) => `value-${i}`).sort());
  }, 90_000);
});
