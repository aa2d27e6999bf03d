/**
 * The optimistic commit loop shared by appends and rewrites: load the base, build
 * the new metadata on it, swap it in through the catalog; on a conflict reload and
 * re-apply (spec "Optimistic Concurrency"). Tables are created on first write.
 */
import { randomUUID } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import type { Catalog, LoadedTable, TableIdentifier } from './catalog/catalog.js';
import { tableIdentifierString } from './catalog/catalog.js';
import { CommitConflictError, CommitFailedError, TableExistsError } from './errors.js';
import { newTableMetadata, type TableMetadata } from './table-metadata.js';
import type { AnyTableDefinition, TableDefinition } from './table-definitions.js';
import { uriToPath } from './paths.js';

export function identifierOf(def: { namespace: string; name: string }): TableIdentifier {
  return { namespace: def.namespace, name: def.name };
}

/** Loads the table, creating it (empty, schema/spec/sort from `def`) if it does not exist yet. */
export async function loadOrCreateTable(catalog: Catalog, def: AnyTableDefinition | TableDefinition<object>): Promise<LoadedTable> {
  const id = identifierOf(def);
  for (;;) {
    const loaded = await catalog.loadTable(id);
    if (loaded !== null) return loaded;
    const metadata = newTableMetadata({ location: catalog.defaultTableLocation(id), schema: def.schema, spec: def.spec, sortOrder: def.sortOrder });
    try {
      return await catalog.createTable(id, metadata);
    } catch (err) {
      if (!(err instanceof TableExistsError)) throw err;
    }
  }
}

export interface CommitAttempt {
  base: LoadedTable;
  attempt: number;
  commitId: string;
}

/** What one attempt built: the new metadata, plus files to delete if the swap loses. */
export interface PreparedCommit {
  metadata: TableMetadata;
  orphansOnConflict: string[];
}

export interface CommitRetryPolicy {
  maxAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: CommitRetryPolicy = { maxAttempts: 50, minBackoffMs: 2, maxBackoffMs: 200 };

export async function commitWithRetry(
  catalog: Catalog,
  def: AnyTableDefinition | TableDefinition<object>,
  prepare: (a: CommitAttempt) => Promise<PreparedCommit>,
  policy: CommitRetryPolicy = DEFAULT_RETRY,
): Promise<{ table: LoadedTable; attempts: number }> {
  const commitId = randomUUID();
  let base = await loadOrCreateTable(catalog, def);
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    const prepared = await prepare({ base, attempt, commitId });
    try {
      const table = await catalog.commitTable(base, prepared.metadata);
      return { table, attempts: attempt };
    } catch (err) {
      if (!(err instanceof CommitConflictError)) throw err;
      lastError = err;
      for (const f of prepared.orphansOnConflict) {
        try {
          unlinkSync(uriToPath(f));
        } catch {
          /* already gone */
        }
      }
      const backoff = Math.min(policy.maxBackoffMs, policy.minBackoffMs * 2 ** Math.min(attempt, 8));
      await new Promise((r) => setTimeout(r, Math.random() * backoff));
      base = await loadOrCreateTable(catalog, def);
    }
  }
  throw new CommitFailedError(`commit to ${tableIdentifierString(identifierOf(def))} lost ${policy.maxAttempts} races`, { table: def.name }, { cause: lastError });
}
