#!/usr/bin/env node
// k2 entry point. Runs the compiled CLI from dist/ (built by `npm install` via the
// `prepare` script). In a development checkout without a build, falls back to the
// TypeScript sources through tsx.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { gitHead } from './git-head.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
const useSource = process.env.K2_FROM_SOURCE === '1' || !existsSync(compiled);

if (useSource) {
  const { register } = await import('tsx/esm/api');
  register();
  const mod = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
  await mod.main(process.argv);
} else {
  warnIfBuiltFromAnotherCommit();
  const mod = await import(pathToFileURL(compiled).href);
  await mod.main(process.argv);
}

/** In a git checkout, says so when dist/ was built from another commit than the one checked out. */
function warnIfBuiltFromAnotherCommit() {
  let built;
  try {
    built = JSON.parse(readFileSync(join(root, 'dist', 'build-info.json'), 'utf8')).commit;
  } catch {
    return; // built before builds were stamped, or not from a checkout
  }
  const head = gitHead(root);
  if (typeof built !== 'string' || head === null || head === built) return;
  process.stderr.write(
    `k2: dist/ was built from commit ${built.slice(0, 10)} but the checkout is at ${head.slice(0, 10)}: ` +
      'run `npm run build` (or set K2_FROM_SOURCE=1 to run the sources)\n',
  );
}
