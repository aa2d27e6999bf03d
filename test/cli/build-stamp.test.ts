/**
 * dist/ records the commit it was built from (scripts/stamp-build.mjs), and bin/k2.js says so
 * when the checkout is at another commit (a `git pull` without `npm run build` would otherwise
 * run old code without a word), or when a source file changed after the build. Real git repositories in temp dirs: a plain checkout, packed
 * refs, a detached HEAD and a linked worktree; and the real bin/k2.js copied beside a stand-in
 * dist/ that only prints.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitHead } from '../../bin/git-head.js';
import { REPO_ROOT } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('k2-build-stamp-');
afterAll(() => tmp.cleanup());

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=k2@test', '-c', 'user.name=k2', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A repository with two commits; returns their ids. */
function repo(path: string): { first: string; second: string } {
  mkdirSync(path, { recursive: true });
  git(path, 'init', '-q');
  writeFileSync(join(path, 'a.txt'), '1');
  git(path, 'add', 'a.txt');
  git(path, 'commit', '-q', '-m', 'one');
  const first = git(path, 'rev-parse', 'HEAD');
  writeFileSync(join(path, 'a.txt'), '2');
  git(path, 'commit', '-q', '-am', 'two');
  return { first, second: git(path, 'rev-parse', 'HEAD') };
}

describe('gitHead', () => {
  it('reads the checked-out commit: loose refs, packed refs, detached HEAD, a linked worktree; null outside git', () => {
    const path = join(tmp.path, 'r1');
    const { first, second } = repo(path);
    expect(gitHead(path)).toBe(second);
    git(path, 'pack-refs', '--all');
    expect(gitHead(path)).toBe(second);
    git(path, 'checkout', '-q', first);
    expect(gitHead(path)).toBe(first);
    git(path, 'checkout', '-q', 'main');
    const wt = join(tmp.path, 'r1-worktree');
    git(path, 'worktree', 'add', '-q', wt, first);
    expect(gitHead(wt)).toBe(first);
    expect(gitHead(path)).toBe(second);
    expect(gitHead(join(tmp.path, 'not-a-repo'))).toBeNull();
  });
});

describe('bin/k2.js and dist/build-info.json', () => {
  /** A checkout at `second` whose bin/ is the real one and whose dist/ only prints "ran dist". */
  function checkout(name: string): { root: string; first: string; second: string } {
    const root = join(tmp.path, name);
    const ids = repo(root);
    mkdirSync(join(root, 'bin'));
    for (const f of ['k2.js', 'git-head.js']) copyFileSync(join(REPO_ROOT, 'bin', f), join(root, 'bin', f));
    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(root, 'dist', 'cli', 'main.js'), 'export async function main() { process.stdout.write("ran dist\\n"); }\n');
    mkdirSync(join(root, 'scripts'));
    copyFileSync(join(REPO_ROOT, 'scripts', 'stamp-build.mjs'), join(root, 'scripts', 'stamp-build.mjs'));
    return { root, ...ids };
  }
  const run = (root: string) => spawnSync(process.execPath, [join(root, 'bin', 'k2.js')], { encoding: 'utf8', env: { ...process.env, K2_FROM_SOURCE: '' } });

  it('is quiet when dist/ was built from the checked-out commit, and says so when the checkout moved on', () => {
    const { root, first, second } = checkout('c1');
    execFileSync(process.execPath, [join(root, 'scripts', 'stamp-build.mjs')], { cwd: root });
    const same = run(root);
    expect(same.stdout).toBe('ran dist\n');
    expect(same.stderr).toBe('');
    // the build is of the first commit; the checkout is at the second
    writeFileSync(join(root, 'dist', 'build-info.json'), JSON.stringify({ commit: first }));
    const moved = run(root);
    expect(moved.stdout).toBe('ran dist\n');
    expect(moved.stderr).toBe(`k2: dist/ was built from commit ${first.slice(0, 10)} but the checkout is at ${second.slice(0, 10)}: run \`npm run build\` (or set K2_FROM_SOURCE=1 to run the sources)\n`);
  });

  it('says so when a source file changed after the build', () => {
    const { root } = checkout('c3');
    mkdirSync(join(root, 'src', 'cli'), { recursive: true });
    mkdirSync(join(root, 'schemas'));
    writeFileSync(join(root, 'src', 'cli', 'main.ts'), 'old');
    writeFileSync(join(root, 'schemas', 'trade_v2.avsc'), '{}');
    execFileSync(process.execPath, [join(root, 'scripts', 'stamp-build.mjs')], { cwd: root });
    const stampTime = statSync(join(root, 'dist', 'build-info.json')).mtime;
    // files written before the build are older than its stamp
    const before = new Date(stampTime.getTime() - 60_000);
    utimesSync(join(root, 'src', 'cli', 'main.ts'), before, before);
    utimesSync(join(root, 'schemas', 'trade_v2.avsc'), before, before);
    expect(run(root).stderr).toBe('');
    const after = new Date(stampTime.getTime() + 60_000);
    utimesSync(join(root, 'src', 'cli', 'main.ts'), after, after);
    const fix = 'run `npm run build` (or set K2_FROM_SOURCE=1 to run the sources)';
    const one = run(root);
    expect(one.stdout).toBe('ran dist\n');
    expect(one.stderr).toBe(`k2: src/cli/main.ts changed after dist/ was built: ${fix}\n`);
    writeFileSync(join(root, 'src', 'cli', 'new.ts'), 'new');
    utimesSync(join(root, 'src', 'cli', 'new.ts'), after, after);
    utimesSync(join(root, 'schemas', 'trade_v2.avsc'), after, after);
    expect(run(root).stderr).toBe(`k2: schemas/trade_v2.avsc and 2 more files changed after dist/ was built: ${fix}\n`);
  });

  it('is quiet without a stamp (an older build) and outside a git checkout', () => {
    const { root } = checkout('c2');
    expect(run(root).stderr).toBe('');
    const bare = join(tmp.path, 'no-git');
    mkdirSync(join(bare, 'bin'), { recursive: true });
    for (const f of ['k2.js', 'git-head.js']) copyFileSync(join(REPO_ROOT, 'bin', f), join(bare, 'bin', f));
    mkdirSync(join(bare, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(bare, 'dist', 'cli', 'main.js'), 'export async function main() { process.stdout.write("ran dist\\n"); }\n');
    writeFileSync(join(bare, 'dist', 'build-info.json'), JSON.stringify({ commit: 'f'.repeat(40) }));
    const r = run(bare);
    expect(r.stdout).toBe('ran dist\n');
    expect(r.stderr).toBe('');
  });
});
