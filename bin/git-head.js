// The commit a git checkout is at, read from its files (no git binary needed); null when
// `root` is not a git checkout or the commit cannot be read. Used by bin/k2.js to tell a
// build of another commit, and by scripts/stamp-build.mjs to record the build's commit.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** @param {string} root @returns {string | null} */
export function gitHead(root) {
  try {
    let gitDir = join(root, '.git');
    if (!statSync(gitDir).isDirectory()) {
      // a linked worktree: ".git" is a file naming its git dir
      const m = /^gitdir: (.+)$/m.exec(readFileSync(gitDir, 'utf8'));
      if (m === null) return null;
      gitDir = isAbsolute(m[1].trim()) ? m[1].trim() : join(root, m[1].trim());
    }
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return /^[0-9a-f]{40,64}$/.test(head) ? head : null;
    const ref = head.slice(5);
    let common = gitDir;
    try {
      const c = readFileSync(join(gitDir, 'commondir'), 'utf8').trim();
      common = isAbsolute(c) ? c : join(gitDir, c);
    } catch {
      // not a linked worktree: refs live here
    }
    try {
      return readFileSync(join(common, ref), 'utf8').trim();
    } catch {
      for (const line of readFileSync(join(common, 'packed-refs'), 'utf8').split('\n')) {
        const [sha, name] = line.split(' ');
        if (name === ref) return sha;
      }
      return null; // an unborn branch
    }
  } catch {
    return null;
  }
}
