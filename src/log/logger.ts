/**
 * A small leveled logger writing one line per event to stderr, so stdout stays
 * clean for tables, JSON and CSV. With `--json` the lines are JSON objects.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  write?: (line: string) => void;
  bindings?: LogFields;
}

function fmtValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const json = opts.json ?? false;
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bindings = opts.bindings ?? {};
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < RANK[level]) return;
    const all = { ...bindings, ...fields };
    if (json) {
      write(
        JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...all }, (_k, x: unknown) =>
          typeof x === 'bigint' ? x.toString() : x instanceof Error ? x.message : x,
        ),
      );
      return;
    }
    const extra = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${fmtValue(v)}`)
      .join(' ');
    write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra ? ` ${extra}` : ''}`);
  };
  return {
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (b) => createLogger({ level, json, write, bindings: { ...bindings, ...b } }),
  };
}

/** A logger that drops everything; for tests and library use. */
export const silentLogger: Logger = createLogger({ level: 'silent' });
