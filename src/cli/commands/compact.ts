import type { Command } from 'commander';
import { notBuiltCommand } from '../not-built.js';

export function registerCompact(program: Command): void {
  notBuiltCommand(program, 'compact', 'Compact small Iceberg data files and expire old snapshots');
}
