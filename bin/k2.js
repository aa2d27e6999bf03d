#!/usr/bin/env node
// k2 entry point. Runs the compiled CLI from dist/ (built by `npm install` via the
// `prepare` script). In a development checkout without a build, falls back to the
// TypeScript sources through tsx.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  warnIfStale();
  const mod = await import(pathToFileURL(compiled).href);
  await mod.main(process.argv);
}

/**
 * In a git checkout, says so when dist/ is not the code checked out: built from another commit
 * (a `git pull` without `npm run build`), or older than an edit of the sources since.
 */
function warnIfStale() {
  let built;
  let builtAt;
  try {
    const stamp = join(root, 'dist', 'build-info.json');
    built = JSON.parse(readFileSync(stamp, 'utf8')).commit;
    builtAt = statSync(stamp).mtimeMs;
  } catch {
    return; // built before builds were stamped, or not from a checkout
  }
  const head = gitHead(root);
  if (typeof built !== 'string' || head === null) return;
  const fix = 'run `npm run build` (or set K2_FROM_SOURCE=1 to run the sources)';
  if (head !== built) {
    process.stderr.write(`k2: dist/ was built from commit ${built.slice(0, 10)} but the checkout is at ${head.slice(0, 10)}: ${fix}\n`);
    return;
  }
  const edited = editedSince(builtAt, ['src', 'schemas']);
  if (edited.length > 0) {
    const more = edited.length > 1 ? ` and ${edited.length - 1} more file${edited.length > 2 ? 's' : ''}` : '';
    process.stderr.write(`k2: ${edited[0]}${more} changed after dist/ was built: ${fix}\n`);
  }
}

/** Files under the given directories of the checkout modified after `time` (ms), as relative paths. */
function editedSince(time, dirs) {
  const out = [];
  const walk = (rel) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else if (e.isFile() && statSync(join(root, path)).mtimeMs > time) out.push(path);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}
