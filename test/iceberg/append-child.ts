/**
 * Child process of concurrent-processes.test.ts: appends `batches` batches of sample
 * trades to trades_v2 through its own catalog, then prints how many commits retried.
 * Usage: node --import tsx append-child.ts <catalog-spec|fs> <warehouse> <writerNo> <batches> <rows>
 */
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { sampleTrades } from './sample-records.js';

const [spec, warehouse, writerNo, batches, rows] = process.argv.slice(2);
const catalog = openCatalog(spec === 'fs' ? undefined : spec, warehouse!);
const writer = await IcebergTableWriter.open(catalog, TRADES_TABLE);
let retried = 0;
for (let b = 0; b < Number(batches); b++) {
  const start = (Number(writerNo) * Number(batches) + b) * Number(rows);
  const r = await writer.append(sampleTrades(Number(rows), { start }));
  if (r.attempts > 1) retried++;
}
await writer.close();
await catalog.close();
process.stdout.write(`${JSON.stringify({ retried })}\n`);
