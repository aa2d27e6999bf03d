/**
 * `k2 compact [--table trades_v2|quotes_v2] [--target-file-size 128MB] [--min-files 2]
 *             [--expire-older-than <duration|ISO>] [--retain-last 1] [--catalog <spec>]`
 *
 * Rewrites the small data files of each partition into files of about the target
 * size with one `replace` snapshot per table, then (optionally) expires snapshots
 * older than the cut-off and deletes the files only they referenced.
 */
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { openConfiguredCatalog } from '../../iceberg/catalog/open-catalog.js';
import { compactTable } from '../../iceberg/compaction.js';
import { expireSnapshots } from '../../iceberg/expire-snapshots.js';
import { parseCutoff, parseSize } from '../../iceberg/maintenance-options.js';
import { partitionLabel } from '../../iceberg/partitioning.js';
import { TABLE_NAMES, type TableName } from '../../iceberg/table-definitions.js';
import { definitionFor } from '../../iceberg/table-writer.js';
import { commandContext } from '../context.js';
import { formatTable, toJson, type Row } from '../output.js';

interface CompactFlags {
  table?: TableName;
  targetFileSize: string;
  minFiles: number;
  expireOlderThan?: string;
  retainLast: number;
  catalog?: string;
}

function positiveInt(what: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return Number(v);
  };
}

export function registerCompact(program: Command): void {
  program
    .command('compact')
    .description('Compact small Iceberg data files into target-size files (a replace snapshot) and expire old snapshots')
    .addOption(new Option('--table <name>', 'table to maintain (default: both)').choices([...TABLE_NAMES]))
    .option('--target-file-size <size>', 'target data file size, e.g. 128MB, 512MiB, 1GB', '128MB')
    .option('--min-files <n>', 'rewrite a partition only when it has at least this many small files', positiveInt('--min-files'), 2)
    .option('--expire-older-than <age>', 'expire snapshots older than a duration (30m, 12h, 7d, 2w) or an ISO time')
    .option('--retain-last <n>', 'always keep at least this many newest snapshots when expiring', positiveInt('--retain-last'), 1)
    .option('--catalog <spec>', 'Iceberg catalog: "filesystem" (default, <data-dir>/warehouse) or postgres://user@host:port/db (env K2_CATALOG)')
    .action(async (flags: CompactFlags, cmd: Command) => {
      const { globals, logger } = commandContext(cmd);
      const target = parseSize(flags.targetFileSize);
      const cutoff = flags.expireOlderThan === undefined ? undefined : parseCutoff(flags.expireOlderThan, Date.now());
      const catalog = openConfiguredCatalog(flags.catalog, join(globals.dataDir, 'warehouse'));
      const rows: Row[] = [];
      try {
        for (const name of flags.table === undefined ? TABLE_NAMES : [flags.table]) {
          const def = definitionFor(name);
          const r = await compactTable(catalog, def, {
            targetFileSizeBytes: target,
            minInputFiles: flags.minFiles,
            onProgress: (m) => logger.info(`compact ${name}: ${m}`),
          });
          // partitions in order (the rewrites run in the order the manifests list them)
          const rewrites = r.rewrites.map((p) => ({ p, label: partitionLabel(p.partition) })).sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
          for (const { p, label } of rewrites) {
            rows.push({
              table: name,
              action: 'rewrite',
              partition: label,
              files_before: p.filesBefore,
              files_after: p.filesAfter,
              rows: p.records,
              snapshot_id: r.snapshotId,
            });
          }
          if (r.rewrites.length === 0) rows.push({ table: name, action: 'rewrite', partition: '(nothing to compact)', files_before: 0, files_after: 0, rows: 0n, snapshot_id: null });
          if (cutoff !== undefined) {
            const e = await expireSnapshots(catalog, def, cutoff, { retainLast: flags.retainLast });
            rows.push({
              table: name,
              action: 'expire',
              partition: null,
              files_before: null,
              files_after: null,
              rows: null,
              snapshot_id: null,
              expired_snapshots: e.expiredSnapshots.length,
              expired_before: new Date(cutoff).toISOString(),
              deleted_files: e.deletedFiles,
            });
          }
        }
      } finally {
        await catalog.close();
      }
      process.stdout.write(globals.json ? `${toJson(rows)}\n` : formatTable(rows, ['table', 'action', 'partition', 'files_before', 'files_after', 'rows', 'snapshot_id', 'expired_snapshots', 'expired_before', 'deleted_files']));
    });
}
