/**
 * One broker per data directory. `<data-dir>/broker/broker.lock` holds the owner's
 * pid, start time and endpoints as JSON; it is created exclusively, replaced when its
 * owner is gone (after kill -9: no such pid, or the pid now belongs to a process that
 * started at another time), and removed on close. A second process that finds a live
 * owner gets BrokerLockedError, or (startBus) connects to that owner's endpoints.
 */
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { K2Error } from '../model/errors.js';

export interface LockInfo {
  pid: number;
  /** `host:port` of the Kafka listener. */
  kafka: string;
  /** Schema registry URL, once it is running. */
  registry: string | null;
  /**
   * Random per lock: tells this process's own locks from a dead process's lock that happens to
   * carry the same pid (pid reuse, e.g. pid 1 or 2 again after a container restart).
   */
  token?: string;
  /** What holds the lock, e.g. "k2 load asx" (absent in locks of older versions). */
  owner?: string;
  /**
   * When the owner process started (Linux: /proc/<pid>/stat field 22, clock ticks after boot): a live
   * process with the owner's pid but another start time is not the owner (pid reuse).
   */
  started?: string;
}

/** Tokens of the locks this process holds. */
const HELD = new Set<string>();

const LockFile = z.object({ pid: z.number().int(), kafka: z.string(), registry: z.string().nullable(), token: z.string().optional(), owner: z.string().optional(), started: z.string().optional() });

export class BrokerLockedError extends K2Error {
  constructor(readonly owner: LockInfo, dir: string) {
    super('BROKER_LOCKED', `another k2 process (${describeLockOwner(owner)}) already runs a broker on ${dir} at ${owner.kafka}; pass --brokers ${owner.kafka} to use it`, {
      pid: owner.pid,
      kafka: owner.kafka,
      dir,
    });
  }
}

/** "pid 123" or "k2 load asx, pid 123". */
export function describeLockOwner(info: LockInfo): string {
  return info.owner !== undefined ? `${info.owner}, pid ${info.pid}` : `pid ${info.pid}`;
}

export function lockPath(brokerDir: string): string {
  return join(brokerDir, 'broker.lock');
}

/**
 * When process `pid` started, as /proc/<pid>/stat's starttime (clock ticks after boot), or null
 * where /proc is not there (not Linux) or the process is gone.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 of the whole line
  } catch {
    return null;
  }
}

/** This process's start time, for the locks it takes. */
const OWN_START_TIME = processStartTime(process.pid);

/**
 * Whether the owner of a lock still runs: its pid exists and, where it can be checked, started
 * when the lock says. A lock written before locks recorded the start time names a k2 process
 * (Node.js): its pid held by a program that is not Node.js is a reused pid.
 */
export function lockOwnerAlive(info: Pick<LockInfo, 'pid' | 'started'>): boolean {
  if (!processAlive(info.pid)) return false;
  if (info.started === undefined) return processMayRunNode(info.pid);
  const now = processStartTime(info.pid);
  return now === null || now === info.started;
}

/**
 * Whether the process may be running Node.js: its executable's or its first argument's file
 * name mentions node or k2 (node, nodejs, node20, a k2 launcher). True where /proc cannot tell.
 */
export function processMayRunNode(pid: number): boolean {
  let argv0: string;
  let exe = '';
  try {
    argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    return true;
  }
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // another user's process: its executable link is not readable
  }
  const names = [argv0, exe].map((p) => p.slice(p.lastIndexOf('/') + 1).toLowerCase());
  if (names.every((n) => n === '')) return true; // a zombie or kernel thread: cannot tell
  return names.some((n) => n.includes('node') || n.includes('k2'));
}

/** Whether a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live owner of a broker directory, or null when none (or only a stale lock). */
export function readLiveLock(brokerDir: string): LockInfo | null {
  const path = lockPath(brokerDir);
  if (!existsSync(path)) return null;
  try {
    const info = LockFile.parse(JSON.parse(readFileSync(path, 'utf8')));
    // our own pid: live only if this process took that lock (else a dead process had our pid)
    if (info.pid === process.pid) return info.token !== undefined && HELD.has(info.token) ? info : null;
    return lockOwnerAlive(info) ? info : null;
  } catch {
    return null;
  }
}

export class DataDirLock {
  private released = false;

  private constructor(private readonly path: string, private info: LockInfo) {}

  static acquire(brokerDir: string, kafka: string, owner?: string): DataDirLock {
    const path = lockPath(brokerDir);
    const info: LockInfo = {
      pid: process.pid,
      kafka,
      registry: null,
      token: randomUUID(),
      ...(owner !== undefined ? { owner } : {}),
      ...(OWN_START_TIME !== null ? { started: OWN_START_TIME } : {}),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, JSON.stringify(info));
        closeSync(fd);
        HELD.add(info.token!);
        return new DataDirLock(path, info);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = readLiveLock(brokerDir);
        if (owner) throw new BrokerLockedError(owner, brokerDir);
        unlinkSync(path); // stale: its process is gone
      }
    }
    throw new K2Error('BROKER_LOCKED', `cannot take the broker lock ${path}`, { path });
  }

  /** Records the Kafka endpoint once listening. */
  update(kafka: string): void {
    this.write({ ...this.info, kafka });
  }

  /** Records the registry URL next to the Kafka endpoint. */
  setRegistry(url: string): void {
    this.write({ ...this.info, registry: url });
  }

  private write(info: LockInfo): void {
    this.info = info;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(info));
    renameSync(tmp, this.path);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    HELD.delete(this.info.token!);
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
