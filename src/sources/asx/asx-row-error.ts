/**
 * A rejected ASX row: why it was rejected, and where. The loader writes it to the
 * dead-letter file and counts it; the load goes on.
 */
import { K2Error, type ErrorContext } from '../../model/errors.js';

export class AsxRowError extends K2Error {
  /** The field the problem is in, when there is one (e.g. "Price"). */
  readonly field: string | undefined;

  constructor(message: string, field?: string, context: ErrorContext = {}) {
    super('ASX_ROW', message, { ...context, field });
    this.field = field;
  }
}

/** A problem with a whole input file (format not recognised, no symbol for it). */
export class AsxFileError extends K2Error {
  constructor(message: string, context: ErrorContext = {}) {
    super('ASX_FILE', message, context);
  }
}
