/**
 * What every command receives: its resolved global options and a logger.
 * Commands read globals lazily, after commander has parsed the flags.
 */
import type { Command } from 'commander';
import { resolveRegistryUrl } from '../bus/endpoints.js';
import { resolveGlobalOptions, type GlobalOptions, type RawGlobalOptions } from '../config/global-options.js';
import { createLogger, type Logger } from '../log/logger.js';

export interface CommandContext {
  globals: GlobalOptions;
  logger: Logger;
}

/** Resolves the global options from the root program of a (sub)command. */
export function commandContext(cmd: Command): CommandContext {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const raw = root.opts<RawGlobalOptions>();
  const globals = resolveGlobalOptions(raw);
  // The registry URL is used only with --brokers, but a bad one is reported either way.
  if (cmd.options.some((o) => o.long === '--registry')) resolveRegistryUrl(cmd.opts<{ registry?: string }>().registry);
  const logger = createLogger({ level: globals.logLevel, json: globals.json });
  return { globals, logger };
}

/** A command module: adds one subcommand (with its own sub-subcommands) to the program. */
export type RegisterCommand = (program: Command) => void;
