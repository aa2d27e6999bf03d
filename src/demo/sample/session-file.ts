/**
 * The bundled sample session file: gzipped JSON lines. The first line is a header
 * that labels the data as synthetic; every other line is `{"at": ms, "frame": F}`
 * where F is an exact Binance combined-stream frame whose event and trade times
 * (E, T) are milliseconds relative to the session start. The replay server adds
 * "now" to them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { ValidationError } from '../../model/errors.js';
import { combinedFrameSchema, type CombinedFrame } from './binance-frames.js';
import type { SessionEvent } from './market-model.js';

export const SAMPLE_SESSION_FORMAT = 'k2-binance-sample-session';

/** The committed sample, resolved from this module (works from src/ and from dist/). */
export const DEFAULT_SAMPLE_SESSION_PATH = fileURLToPath(
  new URL('../../../fixtures/demo/binance-sample-session.jsonl.gz', import.meta.url),
);

export const sessionHeaderSchema = z.object({
  format: z.literal(SAMPLE_SESSION_FORMAT),
  version: z.literal(1),
  synthetic: z.literal(true),
  description: z.string(),
  generator: z.string(),
  seed: z.number().int(),
  duration_ms: z.number().int().positive(),
  symbols: z.array(z.string()).min(1),
  streams: z.array(z.string()).min(1),
  trades: z.number().int().nonnegative(),
  quotes: z.number().int().nonnegative(),
});
export type SessionHeader = z.infer<typeof sessionHeaderSchema>;

const lineSchema = z.object({ at: z.number().int().nonnegative(), frame: combinedFrameSchema });

export interface SampleSession {
  header: SessionHeader;
  events: SessionEvent[];
}

/** Serialises a session to gzipped JSON lines (deterministic bytes: fixed gzip header, no mtime). */
export function encodeSession(session: SampleSession): Buffer {
  const lines = [JSON.stringify(session.header), ...session.events.map((e) => JSON.stringify({ at: e.at, frame: e.frame }))];
  return gzipSync(Buffer.from(`${lines.join('\n')}\n`, 'utf8'), { level: 9 });
}

/** Parses and validates a session; a bad line is reported with its file, line number and field. */
export function decodeSession(bytes: Buffer, file = '<memory>'): SampleSession {
  let text: string;
  try {
    text = gunzipSync(bytes).toString('utf8');
  } catch (err) {
    throw new ValidationError(`not a gzip file: ${(err as Error).message}`, { file });
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) throw new ValidationError('empty sample session', { file });
  const header = parseLine(lines[0]!, sessionHeaderSchema, file, 1);
  const events: SessionEvent[] = [];
  let lastAt = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = parseLine(lines[i]!, lineSchema, file, i + 1);
    if (line.at < lastAt) throw new ValidationError('lines are not in time order', { file, line: i + 1, field: 'at' });
    lastAt = line.at;
    events.push({ at: line.at, frame: line.frame as CombinedFrame });
  }
  if (lastAt > header.duration_ms) {
    throw new ValidationError('a line is later than duration_ms', { file, field: 'at', value: lastAt });
  }
  return { header, events };
}

export function loadSession(file: string = DEFAULT_SAMPLE_SESSION_PATH): SampleSession {
  return decodeSession(readFileSync(file), file);
}

function parseLine<T>(text: string, schema: z.ZodType<T>, file: string, line: number): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`invalid JSON: ${(err as Error).message}`, { file, line });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ValidationError(issue?.message ?? 'invalid line', { file, line, field: issue?.path.join('.') ?? '' });
  }
  return r.data;
}
