import { afterEach, describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import { once } from 'node:events';
import { heapGrowingPercent, holdWhileWorkerLoads, setHeapGrowingPercent } from '../../src/runtime/v8-heap-growing.js';
import { startModuleWorker } from '../../src/runtime/module-worker.js';

// V8's cached-data version tag covers the V8 flags: Node's built-in code cache is accepted
// only while it equals the tag of a process with every flag at its default.
const DEFAULT_TAG = v8.cachedDataVersionTag();
const SUPPORT = new URL('../support/', import.meta.url).href;

afterEach(() => setHeapGrowingPercent(null));

describe('the heap growing flag while a worker loads', () => {
  it('a set growing percent changes the flag hash, and null restores it', () => {
    setHeapGrowingPercent(100);
    expect(heapGrowingPercent()).toBe(100);
    expect(v8.cachedDataVersionTag()).not.toBe(DEFAULT_TAG);
    setHeapGrowingPercent(null);
    expect(v8.cachedDataVersionTag()).toBe(DEFAULT_TAG);
  });

  it('holds the flag at its default until every hold is released, once each', () => {
    setHeapGrowingPercent(100);
    const set = v8.cachedDataVersionTag();
    const a = holdWhileWorkerLoads();
    const b = holdWhileWorkerLoads();
    expect(v8.cachedDataVersionTag()).toBe(DEFAULT_TAG);
    a();
    a(); // a second release of the same hold counts for nothing
    expect(v8.cachedDataVersionTag()).toBe(DEFAULT_TAG);
    setHeapGrowingPercent(150); // remembered, applied once nothing is loading
    expect(v8.cachedDataVersionTag()).toBe(DEFAULT_TAG);
    b();
    expect(heapGrowingPercent()).toBe(150);
    expect(v8.cachedDataVersionTag()).not.toBe(DEFAULT_TAG);
    expect(v8.cachedDataVersionTag()).not.toBe(set); // 150, not 100
  });

  it('a module worker loads with the default flags and the percent is back once it has reported', async () => {
    setHeapGrowingPercent(100);
    const set = v8.cachedDataVersionTag();
    const worker = startModuleWorker(`${SUPPORT}x.ts`, './version-tag-worker.js', null);
    const [tagInWorker] = (await once(worker, 'message')) as [number];
    expect(tagInWorker).toBe(DEFAULT_TAG);
    expect(v8.cachedDataVersionTag()).toBe(set);
    await worker.terminate();
  });

  it('a worker that fails to load releases its hold too', async () => {
    setHeapGrowingPercent(100);
    const set = v8.cachedDataVersionTag();
    const worker = startModuleWorker(`${SUPPORT}x.ts`, './no-such-worker-module.js', null);
    const failure = new Promise<Error>((resolve) => worker.once('error', resolve));
    await new Promise((resolve) => worker.once('exit', resolve));
    expect((await failure).message).toMatch(/no-such-worker-module/);
    expect(v8.cachedDataVersionTag()).toBe(set);
  });
});
