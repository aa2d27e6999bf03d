/**
 * Locations inside metadata are absolute `file://` URIs (the spec wants full URIs);
 * the local filesystem and DuckDB's read_parquet want plain absolute paths.
 */
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IcebergError } from './errors.js';

export function pathToUri(path: string): string {
  if (!isAbsolute(path)) throw new IcebergError('Iceberg locations must be absolute', { path });
  return pathToFileURL(path).href;
}

/** Accepts a file:// URI or a plain absolute path (what pyiceberg and Java also accept). */
export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  if (isAbsolute(uri)) return uri;
  throw new IcebergError('only local file:// locations are supported', { location: uri });
}
