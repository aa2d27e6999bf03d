import type { Command } from 'commander';
import { notBuiltCommand } from '../not-built.js';

export function registerStream(program: Command): void {
  notBuiltCommand(program, 'stream', 'Capture live market data (stream binance)');
}
