import type { Command } from 'commander';
import { NotImplementedError } from '../model/errors.js';

/** Registers a placeholder subcommand that says it is not built yet (exit 2). */
export function notBuiltCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(`${description} (not built yet)`)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(() => {
      throw new NotImplementedError(`k2 ${name}`);
    });
}
