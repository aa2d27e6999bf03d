import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { resolveGlobalOptions } from '../../src/config/global-options.js';
import { ConfigError } from '../../src/model/errors.js';

describe('global options', () => {
  it('defaults: ./k2-data, embedded broker, info', () => {
    const g = resolveGlobalOptions({}, {});
    expect(g).toEqual({ dataDir: resolve('./k2-data'), brokers: null, logLevel: 'info', json: false });
  });

  it('flags win over environment variables', () => {
    const g = resolveGlobalOptions({ dataDir: '/tmp/a', brokers: 'h1:9092, h2:9093' }, { K2_DATA_DIR: '/tmp/b', K2_BROKERS: 'x:1' });
    expect(g.dataDir).toBe('/tmp/a');
    expect(g.brokers).toEqual(['h1:9092', 'h2:9093']);
  });

  it('environment variables are used without flags', () => {
    const g = resolveGlobalOptions({}, { K2_DATA_DIR: '/tmp/b', K2_BROKERS: 'kafka:9092', K2_LOG_LEVEL: 'debug' });
    expect(g).toMatchObject({ dataDir: '/tmp/b', brokers: ['kafka:9092'], logLevel: 'debug' });
  });

  it('an empty K2_BROKERS means embedded', () => {
    expect(resolveGlobalOptions({}, { K2_BROKERS: '' }).brokers).toBeNull();
  });

  it('a bad broker list names its source and what it expected', () => {
    expect(() => resolveGlobalOptions({ brokers: 'no-port' }, {})).toThrow(ConfigError);
    expect(() => resolveGlobalOptions({ brokers: 'no-port' }, {})).toThrow(/--brokers.*host:port/);
    expect(() => resolveGlobalOptions({}, { K2_BROKERS: 'a:b' })).toThrow(/K2_BROKERS.*host:port/);
  });

  it('a bad log level from the environment names K2_LOG_LEVEL', () => {
    expect(() => resolveGlobalOptions({}, { K2_LOG_LEVEL: 'loud' })).toThrow(/K2_LOG_LEVEL.*debug, info, warn, error, silent/);
  });
});
