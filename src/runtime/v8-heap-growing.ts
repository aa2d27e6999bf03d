/**
 * The process's V8 heap growing percent (`--heap-growing-percent`), held back while a
 * worker thread loads its modules.
 *
 * Node compiles its own JavaScript modules from a code cache built into the binary, and V8
 * accepts that cache only when every V8 flag has its default value (the flag hash). A
 * worker started while the growing percent was set compiled Node's internal modules from
 * source instead: about 0.3 s of CPU for the background consumer, while the stream it
 * serves was running (measured; decisions.md). So the flag goes back to its default from
 * the moment a worker is created until it reports (its first message, an error or its
 * exit), and is set again when no worker is loading any more. The factor only matters
 * when a full GC sizes the next heap limit, so a few hundred milliseconds at V8's own
 * choice change nothing else.
 *
 *   setHeapGrowingPercent(percent: number | null): void   // null: V8's own choice
 *   holdWhileWorkerLoads(): () => void                    // call the result once it has loaded
 */
import v8 from 'node:v8';

let percent: number | null = null;
let loading = 0;

function write(p: number | null): void {
  v8.setFlagsFromString(`--heap-growing-percent=${p ?? 0}`);
}

/** Sets the growing percent for the rest of the process (applied at once unless a worker is loading). */
export function setHeapGrowingPercent(p: number | null): void {
  percent = p;
  if (loading === 0) write(p);
}

/** The growing percent the process runs with (null: V8's own choice). */
export function heapGrowingPercent(): number | null {
  return percent;
}

/** Puts the flag back to its default until the returned release has been called (once per hold). */
export function holdWhileWorkerLoads(): () => void {
  if (loading++ === 0 && percent !== null) write(null);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--loading === 0 && percent !== null) write(percent);
  };
}
