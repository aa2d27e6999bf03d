// Records which commit dist/ was built from (dist/build-info.json), so that bin/k2.js can say
// when the checkout has moved on since (`git pull` without `npm run build`).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitHead } from '../bin/git-head.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify({ commit: gitHead(root), built_at: new Date().toISOString() })}\n`);
