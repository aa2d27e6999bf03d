/**
 * `--catalog` resolution: absent, "fs" or "filesystem" -> the filesystem catalog in
 * `warehouseDir` (default <data-dir>/warehouse); "postgres://..." or
 * "postgresql://..." -> the PostgreSQL catalog, with data and metadata files still
 * under `warehouseDir`. An optional `catalog_name` query parameter (default "k2")
 * names the catalog row set, as pyiceberg's load_catalog name does.
 */
import { ConfigError } from '../../model/errors.js';
import type { Catalog } from './catalog.js';
import { FilesystemCatalog } from './filesystem-catalog.js';
import { PostgresCatalog } from './postgres-catalog.js';

/** `source` names where `spec` came from in the error for a bad value. */
export function openCatalog(spec: string | undefined, warehouseDir: string, source = '--catalog'): Catalog {
  const s = spec?.trim();
  if (s === undefined || s === '' || s === 'fs' || s === 'filesystem') return new FilesystemCatalog(warehouseDir);
  if (/^postgres(ql)?:\/\//.test(s)) {
    const url = new URL(s);
    const catalogName = url.searchParams.get('catalog_name') ?? undefined;
    url.searchParams.delete('catalog_name');
    return new PostgresCatalog({ connectionString: url.toString(), warehouseDir, catalogName });
  }
  throw new ConfigError(`invalid ${source}: ${JSON.stringify(spec)}; expected "filesystem" or a postgres://user@host:port/db URL`, { source });
}

/** The catalog the --catalog flag names, else K2_CATALOG, else the filesystem catalog in `warehouseDir`. */
export function openConfiguredCatalog(flag: string | undefined, warehouseDir: string, env: NodeJS.ProcessEnv = process.env): Catalog {
  return flag !== undefined ? openCatalog(flag, warehouseDir, '--catalog') : openCatalog(env.K2_CATALOG, warehouseDir, 'K2_CATALOG');
}
