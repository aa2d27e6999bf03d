import { K2Error, type ErrorContext } from '../model/errors.js';

/**
 * A commit refused because the table already covers offsets this consumer buffered:
 * another consumer owns those partitions now (after a rebalance) and committed them.
 * The buffered rows are dropped; they are in the table already.
 */
export class FencedCommitError extends K2Error {
  constructor(message: string, context: ErrorContext = {}) {
    super('FENCED', message, context);
  }
}

export class ConsumeError extends K2Error {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('CONSUME', message, context, options);
  }
}
