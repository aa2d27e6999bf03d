/**
 * Filesystem ("Hadoop") catalog: <warehouse>/<namespace>/<table>/metadata/v<N>.metadata.json
 * plus version-hint.text (the digits of N, no newline).
 *
 * A commit writes the new metadata to a unique temp file, then hard-links it to
 * v<N+1>.metadata.json. link(2) fails with EEXIST when the target exists, so of two
 * writers racing for version N+1 exactly one wins, and readers never see a
 * half-written file (spec "File System Tables"; never fs.rename, which replaces).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CommitConflictError, IcebergError, TableExistsError } from '../errors.js';
import { pathToUri, uriToPath } from '../paths.js';
import { parseTableMetadata, serializeTableMetadata, type TableMetadata } from '../table-metadata.js';
import { tableIdentifierString, type Catalog, type LoadedTable, type TableIdentifier } from './catalog.js';

const VERSION_RE = /^v(\d+)\.metadata\.json$/;

export class FilesystemCatalog implements Catalog {
  readonly description: string;

  constructor(readonly warehouseDir: string) {
    this.description = `filesystem:${warehouseDir}`;
  }

  private tableDir(id: TableIdentifier): string {
    return join(this.warehouseDir, ...id.namespace.split('.'), id.name);
  }

  private metadataDir(id: TableIdentifier): string {
    return join(this.tableDir(id), 'metadata');
  }

  defaultTableLocation(id: TableIdentifier): string {
    return pathToUri(this.tableDir(id));
  }

  /** The highest committed version: the hint, then probing upwards (the hint is best effort). */
  private async currentVersion(id: TableIdentifier): Promise<number | null> {
    const dir = this.metadataDir(id);
    let version: number | null = null;
    try {
      const hint = (await fsp.readFile(join(dir, 'version-hint.text'), 'utf8')).trim();
      if (/^\d+$/.test(hint) && existsSync(join(dir, `v${hint}.metadata.json`))) version = Number(hint);
    } catch {
      /* no hint: list the directory */
    }
    if (version === null) {
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch {
        return null;
      }
      for (const n of names) {
        const m = VERSION_RE.exec(n);
        if (m) version = Math.max(version ?? 0, Number(m[1]));
      }
      if (version === null) return null;
    }
    // Newer versions than the hint: each commit creates v{N+1} exclusively, so they are found by
    // probing. One missing file (deleted by hand, or a torn copy) must not hide the versions
    // after it, so a gap of one is probed across too.
    for (;;) {
      if (existsSync(join(dir, `v${version + 1}.metadata.json`))) version++;
      else if (existsSync(join(dir, `v${version + 2}.metadata.json`))) version += 2;
      else return version;
    }
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable | null> {
    for (let attempt = 0; ; attempt++) {
      const version = await this.currentVersion(id);
      if (version === null) return null;
      const file = join(this.metadataDir(id), `v${version}.metadata.json`);
      try {
        const text = await fsp.readFile(file, 'utf8');
        return { identifier: id, metadata: parseTableMetadata(text, file), metadataLocation: pathToUri(file) };
      } catch (err) {
        // A concurrent expire could remove nothing we read here; retry once on a vanished file.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 3) continue;
        throw err;
      }
    }
  }

  private async publish(id: TableIdentifier, version: number, metadata: TableMetadata): Promise<string> {
    const dir = this.metadataDir(id);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${randomUUID()}.metadata.json.tmp`);
    const target = join(dir, `v${version}.metadata.json`);
    const handle = await fsp.open(tmp, 'wx');
    try {
      await handle.writeFile(serializeTableMetadata(metadata), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fsp.link(tmp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CommitConflictError(`version ${version} of ${tableIdentifierString(id)} was committed by another writer`, {
          table: tableIdentifierString(id),
          version,
        });
      }
      throw new IcebergError(`cannot publish metadata: ${(err as Error).message}`, { file: target }, { cause: err });
    } finally {
      await fsp.unlink(tmp).catch(() => undefined);
    }
    await this.writeHint(dir, version);
    return target;
  }

  /** Best effort: readers probe past a stale hint. */
  private async writeHint(dir: string, version: number): Promise<void> {
    const tmp = join(dir, `.${randomUUID()}.version-hint.tmp`);
    try {
      await fsp.writeFile(tmp, String(version), { flag: 'wx' });
      await fsp.rename(tmp, join(dir, 'version-hint.text'));
    } catch {
      await fsp.unlink(tmp).catch(() => undefined);
    }
  }

  async createTable(id: TableIdentifier, metadata: TableMetadata): Promise<LoadedTable> {
    if ((await this.currentVersion(id)) !== null) throw new TableExistsError(tableIdentifierString(id));
    try {
      const file = await this.publish(id, 1, metadata);
      return { identifier: id, metadata, metadataLocation: pathToUri(file) };
    } catch (err) {
      if (err instanceof CommitConflictError) throw new TableExistsError(tableIdentifierString(id));
      throw err;
    }
  }

  async commitTable(base: LoadedTable, updated: TableMetadata): Promise<LoadedTable> {
    const name = uriToPath(base.metadataLocation).split('/').pop() ?? '';
    const m = VERSION_RE.exec(name);
    if (!m) throw new IcebergError('base metadata is not a v<N>.metadata.json file', { file: base.metadataLocation });
    const file = await this.publish(base.identifier, Number(m[1]) + 1, updated);
    return { identifier: base.identifier, metadata: updated, metadataLocation: pathToUri(file) };
  }

  async listTables(namespace: string): Promise<string[]> {
    const dir = join(this.warehouseDir, ...namespace.split('.'));
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names.sort()) {
      if ((await this.currentVersion({ namespace, name: n })) !== null) out.push(n);
    }
    return out;
  }

  async close(): Promise<void> {
    /* nothing to release */
  }
}
