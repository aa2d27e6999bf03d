/** A worker that reports V8's cached-data version tag (it covers the V8 flags) as its first message. */
import { parentPort } from 'node:worker_threads';
import v8 from 'node:v8';

parentPort!.postMessage(v8.cachedDataVersionTag());
