/**
 * Entry point: parses argv, runs the command, and maps errors to exit codes.
 * Usage and configuration errors exit 2; runtime errors exit 1.
 */
import { CommanderError } from 'commander';
import { ConfigError, InterruptedError, K2Error, NotImplementedError, errorMessage } from '../model/errors.js';
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.js';
import { applyHeapGrowth } from './heap-growth.js';
import { buildProgram, invokedCommand } from './program.js';

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  program.exitOverride();
  try {
    applyHeapGrowth(invokedCommand(argv.slice(2)));
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    const usage = err instanceof ConfigError || err instanceof NotImplementedError;
    const prefix = err instanceof K2Error ? `k2: ${err.code.toLowerCase()}` : 'k2: error';
    process.stderr.write(`${prefix}: ${errorMessage(err)}\n`);
    if (!(err instanceof K2Error) && err instanceof Error && process.env.K2_DEBUG === '1') {
      process.stderr.write(`${err.stack ?? ''}\n`);
    }
    process.exitCode = err instanceof InterruptedError ? (err.signal === 'SIGTERM' ? 143 : 130) : usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}
