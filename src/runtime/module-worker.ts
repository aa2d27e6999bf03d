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
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

export interface ModuleWorkerOptions {
  /** V8 heap limits of the worker's isolate (node's Worker option). */
  resourceLimits?: ResourceLimits;
}

export function startModuleWorker(callerUrl: string, relativeModule: string, workerData: unknown, options: ModuleWorkerOptions = {}): Worker {
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
