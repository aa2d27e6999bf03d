/**
 * PostgreSQL catalog in the layout shared by Java's JdbcCatalog and pyiceberg's
 * SqlCatalog: `iceberg_tables(catalog_name, table_namespace, table_name,
 * metadata_location, previous_metadata_location, iceberg_type)`. Metadata files are
 * `<location>/metadata/<NNNNN>-<uuid>.metadata.json`; a commit is a compare-and-swap
 * UPDATE on metadata_location that must touch exactly one row.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { CommitConflictError, IcebergError, TableExistsError } from '../errors.js';
import { pathToUri, uriToPath } from '../paths.js';
import { parseTableMetadata, serializeTableMetadata, type TableMetadata } from '../table-metadata.js';
import { tableIdentifierString, type Catalog, type LoadedTable, type TableIdentifier } from './catalog.js';

const DDL = [
  `CREATE TABLE IF NOT EXISTS iceberg_tables (
     catalog_name VARCHAR(255) NOT NULL,
     table_namespace VARCHAR(255) NOT NULL,
     table_name VARCHAR(255) NOT NULL,
     metadata_location VARCHAR(1000),
     previous_metadata_location VARCHAR(1000),
     iceberg_type VARCHAR(5),
     PRIMARY KEY (catalog_name, table_namespace, table_name))`,
  `CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
     catalog_name VARCHAR(255) NOT NULL,
     namespace VARCHAR(255) NOT NULL,
     property_key VARCHAR(255) NOT NULL,
     property_value VARCHAR(1000),
     PRIMARY KEY (catalog_name, namespace, property_key))`,
];

const FILE_RE = /^(\d+)-[0-9a-f-]{36}\.metadata\.json$/;

export interface PostgresCatalogOptions {
  connectionString: string;
  warehouseDir: string;
  /** The catalog name clients must configure (pyiceberg load_catalog("k2", ...)). */
  catalogName?: string;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}

export class PostgresCatalog implements Catalog {
  readonly description: string;
  readonly catalogName: string;
  /** created on first use: `pg` is only loaded when a PostgreSQL catalog is actually used */
  private poolPromise: Promise<pg.Pool> | null = null;
  private ready: Promise<void> | undefined;

  constructor(private readonly o: PostgresCatalogOptions) {
    this.catalogName = o.catalogName ?? 'k2';
    this.description = `postgres:${redactUrl(o.connectionString)} (catalog ${this.catalogName}, warehouse ${o.warehouseDir})`;
  }

  private pool(): Promise<pg.Pool> {
    this.poolPromise ??= import('pg').then(({ default: pgModule }) => {
      const pool = new pgModule.Pool({ connectionString: this.o.connectionString, max: 4 });
      pool.on('error', () => undefined);
      return pool;
    });
    return this.poolPromise;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      // Two processes may run CREATE TABLE IF NOT EXISTS at once; serialise with an advisory lock.
      const client = await (await this.pool()).connect();
      try {
        await client.query('SELECT pg_advisory_lock(7320417)');
        try {
          for (const ddl of DDL) await client.query(ddl);
          const cols = await client.query<{ column_name: string }>(
            `SELECT column_name FROM information_schema.columns WHERE table_name = 'iceberg_tables' AND table_schema = current_schema()`,
          );
          if (!cols.rows.some((r) => r.column_name === 'iceberg_type')) {
            await client.query('ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)');
          }
        } finally {
          await client.query('SELECT pg_advisory_unlock(7320417)');
        }
      } finally {
        client.release();
      }
    })().catch((err: unknown) => {
      this.ready = undefined;
      throw new IcebergError(`cannot prepare the PostgreSQL catalog: ${(err as Error).message}`, { catalog: redactUrl(this.o.connectionString) }, { cause: err });
    });
    return this.ready;
  }

  defaultTableLocation(id: TableIdentifier): string {
    return pathToUri(join(this.o.warehouseDir, ...id.namespace.split('.'), id.name));
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable | null> {
    await this.init();
    const r = await (await this.pool()).query<{ metadata_location: string | null }>(
      `SELECT metadata_location FROM iceberg_tables
        WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3
          AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)`,
      [this.catalogName, id.namespace, id.name],
    );
    const location = r.rows[0]?.metadata_location;
    if (location === undefined || location === null) return null;
    const file = uriToPath(location);
    const text = await fsp.readFile(file, 'utf8');
    return { identifier: id, metadata: parseTableMetadata(text, file), metadataLocation: location };
  }

  private async writeMetadataFile(metadata: TableMetadata, version: number): Promise<string> {
    const dir = join(uriToPath(metadata.location), 'metadata');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`);
    const handle = await fsp.open(file, 'wx');
    try {
      await handle.writeFile(serializeTableMetadata(metadata), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return file;
  }

  async createTable(id: TableIdentifier, metadata: TableMetadata): Promise<LoadedTable> {
    await this.init();
    const file = await this.writeMetadataFile(metadata, 0);
    const location = pathToUri(file);
    try {
      await (await this.pool()).query(
        `INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)
         VALUES ($1, $2, 'exists', 'true') ON CONFLICT DO NOTHING`,
        [this.catalogName, id.namespace],
      );
      await (await this.pool()).query(
        `INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type)
         VALUES ($1, $2, $3, $4, NULL, 'TABLE')`,
        [this.catalogName, id.namespace, id.name, location],
      );
    } catch (err) {
      await fsp.unlink(file).catch(() => undefined);
      if ((err as { code?: string }).code === '23505') throw new TableExistsError(tableIdentifierString(id));
      throw err;
    }
    return { identifier: id, metadata, metadataLocation: location };
  }

  async commitTable(base: LoadedTable, updated: TableMetadata): Promise<LoadedTable> {
    await this.init();
    const name = uriToPath(base.metadataLocation).split('/').pop() ?? '';
    const m = FILE_RE.exec(name);
    const version = m ? Number(m[1]) + 1 : 0;
    const file = await this.writeMetadataFile(updated, version);
    const location = pathToUri(file);
    const r = await (await this.pool()).query(
      `UPDATE iceberg_tables SET metadata_location = $1, previous_metadata_location = $2
        WHERE catalog_name = $3 AND table_namespace = $4 AND table_name = $5 AND metadata_location = $2
          AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)`,
      [location, base.metadataLocation, this.catalogName, base.identifier.namespace, base.identifier.name],
    );
    if (r.rowCount !== 1) {
      await fsp.unlink(file).catch(() => undefined);
      throw new CommitConflictError(`${tableIdentifierString(base.identifier)} moved on since it was loaded`, {
        table: tableIdentifierString(base.identifier),
        base: base.metadataLocation,
      });
    }
    return { identifier: base.identifier, metadata: updated, metadataLocation: location };
  }

  async listTables(namespace: string): Promise<string[]> {
    await this.init();
    const r = await (await this.pool()).query<{ table_name: string }>(
      `SELECT table_name FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2
          AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL) ORDER BY table_name`,
      [this.catalogName, namespace],
    );
    return r.rows.map((x) => x.table_name);
  }

  async close(): Promise<void> {
    if (this.poolPromise !== null) await (await this.poolPromise).end();
  }
}
