/** Typed errors of the Iceberg layer, each with a stable code and context. */
import { K2Error, type ErrorContext } from '../model/errors.js';

/** A table, manifest or metadata file that is not what the spec says it must be. */
export class IcebergError extends K2Error {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('ICEBERG', message, context, options);
  }
}

/** Another writer committed first; the commit can be re-applied onto the new base. */
export class CommitConflictError extends K2Error {
  constructor(message: string, context: ErrorContext = {}) {
    super('ICEBERG_COMMIT_CONFLICT', message, context);
  }
}

/** A commit that still lost after every retry. */
export class CommitFailedError extends K2Error {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('ICEBERG_COMMIT_FAILED', message, context, options);
  }
}

export class TableNotFoundError extends K2Error {
  constructor(table: string, context: ErrorContext = {}) {
    super('ICEBERG_TABLE_NOT_FOUND', `table ${table} does not exist`, { table, ...context });
  }
}

export class TableExistsError extends K2Error {
  constructor(table: string, context: ErrorContext = {}) {
    super('ICEBERG_TABLE_EXISTS', `table ${table} already exists`, { table, ...context });
  }
}
