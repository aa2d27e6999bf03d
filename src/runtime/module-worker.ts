/**
 * Starts a worker thread on one of k2's own modules, whether k2 runs compiled
 * (dist/*.js) or from its TypeScript sources (bin/k2.js with K2_FROM_SOURCE=1,
 * vitest, tsx): a `.ts` module gets a small bootstrap that registers tsx in the
 * worker before importing it, since loader hooks do not follow into workers.
 *
 *   startModuleWorker(callerUrl: string, relativeModule: string, workerData: unknown, options?: ModuleWorkerOptions): Worker
 *
 * `relativeModule` is written as the compiled name ('./consumer-worker.js'),
 * like every import in the sources.
 *
 * While the worker loads (until its first message, an error or its exit, LOAD_HOLD_MS at
 * most), the process's V8 heap growing flag is held at its default, so that Node's own
 * modules load from their built-in code cache in the worker too (v8-heap-growing.ts).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { holdWhileWorkerLoads } from './v8-heap-growing.js';

/** The longest a worker's loading keeps the heap growing flag at its default. */
const LOAD_HOLD_MS = 10_000;

export interface ModuleWorkerOptions {
  /** V8 heap limits of the worker's isolate (node's Worker option). */
  resourceLimits?: ResourceLimits;
}

export function startModuleWorker(callerUrl: string, relativeModule: string, workerData: unknown, options: ModuleWorkerOptions = {}): Worker {
  const release = holdWhileWorkerLoads();
  try {
    const worker = createWorker(callerUrl, relativeModule, workerData, options);
    const timer = setTimeout(release, LOAD_HOLD_MS);
    timer.unref();
    const loaded = (): void => {
      clearTimeout(timer);
      release();
    };
    worker.once('message', loaded);
    worker.once('error', loaded);
    worker.once('exit', loaded);
    return worker;
  } catch (err) {
    release();
    throw err;
  }
}

function createWorker(callerUrl: string, relativeModule: string, workerData: unknown, options: ModuleWorkerOptions): Worker {
  const target = new URL(relativeModule, callerUrl);
  if (!callerUrl.endsWith('.ts')) return new Worker(target, { workerData, ...options });
  const tsTarget = new URL(target.href.replace(/\.js$/, '.ts'));
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((m) => { m.register(); return import(${JSON.stringify(tsTarget.href)}); })` +
    `.catch((err) => { setImmediate(() => { throw err; }); });`;
  return new Worker(bootstrap, { eval: true, workerData, ...options });
}
