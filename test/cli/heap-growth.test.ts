import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LONG_RUNNING_HEAP_GROWING_PERCENT, heapGrowingPercentFor } from '../../src/cli/heap-growth.js';
import { ConfigError } from '../../src/model/errors.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('heap growth policy', () => {
  it('bounds the heap growth of the long-running commands only', () => {
    for (const c of ['stream', 'consume', 'serve', 'broker', 'demo']) expect(heapGrowingPercentFor(c, {})).toBe(LONG_RUNNING_HEAP_GROWING_PERCENT);
    for (const c of ['load', 'query', 'compact', undefined]) expect(heapGrowingPercentFor(c, {})).toBeNull();
  });

  it('K2_HEAP_GROWING_PERCENT overrides it for every command; 0 or empty means V8 default', () => {
    expect(heapGrowingPercentFor('load', { K2_HEAP_GROWING_PERCENT: '80' })).toBe(80);
    expect(heapGrowingPercentFor('stream', { K2_HEAP_GROWING_PERCENT: ' 300 ' })).toBe(300);
    expect(heapGrowingPercentFor('stream', { K2_HEAP_GROWING_PERCENT: '0' })).toBeNull();
    expect(heapGrowingPercentFor('stream', { K2_HEAP_GROWING_PERCENT: '' })).toBe(LONG_RUNNING_HEAP_GROWING_PERCENT);
  });

  it('a malformed value names the variable and what it expected', () => {
    for (const bad of ['-5', '1.5', 'lots', '99999']) {
      expect(() => heapGrowingPercentFor('stream', { K2_HEAP_GROWING_PERCENT: bad })).toThrow(ConfigError);
      expect(() => heapGrowingPercentFor('stream', { K2_HEAP_GROWING_PERCENT: bad })).toThrow(/K2_HEAP_GROWING_PERCENT.*whole number of percent/);
    }
  });

  it('the CLI rejects a malformed value with exit 2 before running the command', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/k2.js', 'query', 'symbols'], {
      cwd: ROOT,
      env: { ...process.env, K2_FROM_SOURCE: '1', K2_HEAP_GROWING_PERCENT: 'lots' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/k2: config: invalid K2_HEAP_GROWING_PERCENT: "lots"/);
  });
});
