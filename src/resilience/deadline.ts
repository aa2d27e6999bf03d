/**
 * Bounded waits for shutdown paths: wait for a promise, but not past a time limit.
 * What is still running after the limit is left to run (it cannot be cancelled, e.g. a
 * kafkajs request retrying against a dead broker); its eventual failure is swallowed
 * so that it does not surface as an unhandled rejection.
 *
 *   settleWithin(p, ms): Promise<boolean>   // true: p settled (resolved or rejected) in time
 */

/**
 * Resolves true once `p` settles (either way), or false after `ms` milliseconds. The
 * timer is cleared when `p` settles first, so it never keeps the process alive.
 */
export function settleWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  p.catch(() => undefined);
  if (!(ms > 0)) {
    // a zero budget still lets an already settled promise count as settled
    return Promise.race([p.then(() => true, () => true), Promise.resolve().then(() => false)]);
  }
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}
