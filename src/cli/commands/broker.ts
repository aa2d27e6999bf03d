import type { Command } from 'commander';
import { notBuiltCommand } from '../not-built.js';

export function registerBroker(program: Command): void {
  notBuiltCommand(program, 'broker', 'Run the embedded Kafka-protocol broker and schema registry');
}
