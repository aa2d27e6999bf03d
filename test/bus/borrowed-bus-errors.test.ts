/**
 * Errors of a bus borrowed from another k2 process (found through <data-dir>/broker/broker.lock)
 * name that process: it did not answer (hung, stopped), or it exited. Other errors pass as they are.
 */
import { describe, expect, it } from 'vitest';
import { BusHostError, explainBorrowedBusError, type BusSession } from '../../src/bus/index.js';

function borrowed(alive: boolean): BusSession {
  return {
    endpoints: { brokers: ['127.0.0.1:45335'], registryUrl: 'http://127.0.0.1:45336' },
    embedded: false,
    mode: 'k2-broker',
    host: { pid: 4242, owner: 'k2 broker', describe: 'k2 broker, pid 4242', lockFile: '/d/broker/broker.lock', alive: () => alive },
    close: async () => undefined,
  };
}

describe('errors of a borrowed bus', () => {
  it('name the process that does not answer, and where its endpoints came from', () => {
    const err = explainBorrowedBusError(borrowed(true), new Error('Broker not connected'));
    expect(err).toBeInstanceOf(BusHostError);
    expect((err as Error).message).toBe(
      'cannot reach the bus of k2 broker, pid 4242 (127.0.0.1:45335, from /d/broker/broker.lock): Broker not connected; if that process is hung, stop it, or pass --brokers',
    );
  });

  it('say that the process exited when it is gone', () => {
    const err = explainBorrowedBusError(borrowed(false), new Error('connect ECONNREFUSED 127.0.0.1:45335'));
    expect((err as Error).message).toBe("the k2 process that served this data dir's bus (k2 broker, pid 4242) exited: connect ECONNREFUSED 127.0.0.1:45335");
  });

  it('leave other errors, and buses not borrowed, alone', () => {
    const other = new Error('not an Avro container file: truncated header');
    expect(explainBorrowedBusError(borrowed(true), other)).toBe(other);
    const own: BusSession = { ...borrowed(true), mode: 'in-process', embedded: true, host: undefined };
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:1');
    expect(explainBorrowedBusError(own, refused)).toBe(refused);
  });
});
