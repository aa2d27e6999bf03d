/**
 * Regenerates fixtures/demo/binance-sample-session.jsonl.gz, the SYNTHETIC sample
 * session the offline `k2 demo` replays. Deterministic: the same seed gives the
 * same bytes (test/demo/sample-session.test.ts checks the committed file).
 *
 *   npx tsx scripts/generate-sample-session.ts [--seed N] [--minutes M] [--out file]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildSampleSession, SAMPLE_DURATION_MS, SAMPLE_SEED } from '../src/demo/sample/build-session.js';
import { DEFAULT_SAMPLE_SESSION_PATH, encodeSession } from '../src/demo/sample/session-file.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: String(SAMPLE_SEED) },
    minutes: { type: 'string', default: String(SAMPLE_DURATION_MS / 60_000) },
    out: { type: 'string', default: DEFAULT_SAMPLE_SESSION_PATH },
  },
});
const seed = Number.parseInt(values.seed, 10);
const minutes = Number(values.minutes);
if (!Number.isInteger(seed) || !(minutes > 0)) {
  process.stderr.write('usage: generate-sample-session.ts [--seed integer] [--minutes positive number] [--out file]\n');
  process.exit(2);
}
const session = buildSampleSession(seed, Math.round(minutes * 60_000));
const bytes = encodeSession(session);
writeFileSync(values.out, bytes);
const { trades, quotes, symbols } = session.header;
process.stdout.write(`wrote ${values.out}: ${trades} trades, ${quotes} quotes, ${symbols.join(',')}, ${bytes.length} bytes (synthetic)\n`);
