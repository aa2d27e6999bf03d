#!/usr/bin/env node
// k2 entry point. Runs the compiled CLI from dist/ (built by `npm install` via the
// `prepare` script). In a development checkout without a build, falls back to the
// TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
const useSource = process.env.K2_FROM_SOURCE === '1' || !existsSync(compiled);

if (useSource) {
  const { register } = await import('tsx/esm/api');
  register();
  const mod = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
  await mod.main(process.argv);
} else {
  const mod = await import(pathToFileURL(compiled).href);
  await mod.main(process.argv);
}
