import type { Command } from 'commander';
import { notBuiltCommand } from '../not-built.js';

export function registerQuery(program: Command): void {
  notBuiltCommand(program, 'query', 'Query trades, quotes, bars and summaries from Iceberg');
}
