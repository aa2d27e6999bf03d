/** CPU time (user + system) of this process or another one, for benchmarks. */
import { readFileSync } from 'node:fs';

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
