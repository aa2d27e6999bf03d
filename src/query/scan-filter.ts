/**
 * The row filter a query applies, in the table's own terms. The planner uses it to
 * prune files; the SQL builder turns it into a WHERE clause with bound parameters.
 */
import type { Micros } from '../model/trade.js';

export interface ScanFilter {
  /** Any of these symbols; undefined means all. */
  symbols?: readonly string[];
  exchange?: string;
  /** Inclusive start, micros UTC. */
  fromMicros?: Micros;
  /** Exclusive end, micros UTC. */
  toMicros?: Micros;
}
