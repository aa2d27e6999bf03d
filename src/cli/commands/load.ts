import type { Command } from 'commander';
import { notBuiltCommand } from '../not-built.js';

export function registerLoad(program: Command): void {
  notBuiltCommand(program, 'load', 'Load historical data (load asx <files...>)');
}
