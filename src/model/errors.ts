/**
 * Typed errors. Every error carries a stable `code` and a `context` object naming
 * the file, line, field or message it concerns, so callers can log it, count it in
 * a metric, or write it to a dead-letter file without parsing the message.
 */
export type ErrorContext = Record<string, string | number | bigint | boolean | null | undefined>;

export class K2Error extends Error {
  readonly code: string;
  readonly context: ErrorContext;

  constructor(code: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }

  /** One line, with the context appended as key=value pairs. */
  describe(): string {
    const parts = Object.entries(this.context)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `${k}=${String(v)}`);
    return parts.length > 0 ? `${this.message} (${parts.join(', ')})` : this.message;
  }
}

/** A value that does not satisfy the v2 model, e.g. a decimal outside (18,8). */
export class ValidationError extends K2Error {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('VALIDATION', message, context, options);
  }
}

/** A decimal that does not fit decimal(18,8) or cannot be parsed exactly. */
export class DecimalError extends K2Error {
  constructor(message: string, context: ErrorContext = {}) {
    super('DECIMAL', message, context);
  }
}

/** Bad configuration: names the flag or environment variable and what it expected. */
export class ConfigError extends K2Error {
  constructor(message: string, context: ErrorContext = {}) {
    super('CONFIG', message, context);
  }
}

/** A feature that is not built yet; the CLI maps it to exit code 2. */
export class NotImplementedError extends K2Error {
  constructor(feature: string) {
    super('NOT_IMPLEMENTED', `${feature} is not built yet`, { feature });
  }
}

/** A command stopped by SIGINT/SIGTERM before it finished; the CLI exits 130 (SIGINT) or 143 (SIGTERM). */
export class InterruptedError extends K2Error {
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    message: string,
  ) {
    super('INTERRUPTED', message, { signal });
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof K2Error) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
