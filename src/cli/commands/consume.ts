import type { Command } from 'commander';
import { notBuiltCommand } from '../not-built.js';

export function registerConsume(program: Command): void {
  notBuiltCommand(program, 'consume', 'Consume market.* topics into Iceberg tables, exactly once');
}
