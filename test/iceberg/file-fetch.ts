/**
 * icebird 0.3.1 reads everything through `fetch`, which in Node cannot open file://
 * URLs. This shim answers file:// GET and HEAD requests (with Range support, which
 * hyparquet uses for Parquet footers and column chunks) from the local disk and
 * passes every other URL to the real fetch.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function installFileFetch(): () => void {
  const realFetch = globalThis.fetch;
  const shim = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file:')) return realFetch(input, init);
    const path = fileURLToPath(url);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return new Response('not found', { status: 404, statusText: 'Not Found' });
    }
    if ((init?.method ?? 'GET').toUpperCase() === 'HEAD') {
      return new Response(null, { status: 200, headers: { 'content-length': String(size) } });
    }
    const range = new Headers(init?.headers).get('Range');
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (range !== null) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (m === null) return new Response('bad range', { status: 416 });
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
      status = 206;
    }
    const buf = Buffer.alloc(Math.max(0, end - start + 1));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    return new Response(buf, { status, headers: { 'content-length': String(buf.length) } });
  };
  globalThis.fetch = shim as typeof fetch;
  return () => {
    globalThis.fetch = realFetch;
  };
}
