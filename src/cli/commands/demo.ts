import type { Command } from 'commander';
import { notBuiltCommand } from '../not-built.js';

export function registerDemo(program: Command): void {
  notBuiltCommand(program, 'demo', 'Live terminal demo of the whole pipeline');
}
