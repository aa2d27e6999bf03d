import type { Command } from 'commander';
import { notBuiltCommand } from '../not-built.js';

export function registerServe(program: Command): void {
  notBuiltCommand(program, 'serve', 'REST API and Prometheus metrics over the Iceberg tables');
}
