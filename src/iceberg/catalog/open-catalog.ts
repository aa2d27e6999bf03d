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

/** Which catalog a spec names; throws ConfigError naming `source` for anything else. */
function catalogKind(spec: string | undefined, source: string): 'filesystem' | 'postgres' {
  const s = spec?.trim();
  if (s === undefined || s === '' || s === 'fs' || s === 'filesystem') return 'filesystem';
  if (/^postgres(ql)?:\/\//.test(s) && URL.canParse(s)) return 'postgres';
  throw new ConfigError(`invalid ${source}: ${JSON.stringify(spec)}; expected "filesystem" or a postgres://user@host:port/db URL`, { source });
}

/** Checks the --catalog flag, else K2_CATALOG, without opening anything (for commands that open it later, elsewhere). */
export function checkConfiguredCatalog(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  if (flag !== undefined) catalogKind(flag, '--catalog');
  else catalogKind(env.K2_CATALOG, 'K2_CATALOG');
}

/** `source` names where `spec` came from in the error for a bad value. */
export function openCatalog(spec: string | undefined, warehouseDir: string, source = '--catalog'): Catalog {
  if (catalogKind(spec, source) === 'filesystem') return new FilesystemCatalog(warehouseDir);
  const url = new URL(spec!.trim());
  const catalogName = url.searchParams.get('catalog_name') ?? undefined;
  url.searchParams.delete('catalog_name');
  return new PostgresCatalog({ connectionString: url.toString(), warehouseDir, catalogName });
}

/** The catalog the --catalog flag names, else K2_CATALOG, else the filesystem catalog in `warehouseDir`. */
export function openConfiguredCatalog(flag: string | undefined, warehouseDir: string, env: NodeJS.ProcessEnv = process.env): Catalog {
  return flag !== undefined ? openCatalog(flag, warehouseDir, '--catalog') : openCatalog(env.K2_CATALOG, warehouseDir, 'K2_CATALOG');
}
