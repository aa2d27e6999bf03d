/**
 * SIGINT/SIGTERM handling for long-running commands: the first signal asks the
 * command to stop cleanly (flush, commit); a second one exits at once.
 */
export function onShutdownSignal(handler: (signal: NodeJS.Signals) => void): () => void {
  let fired = false;
  const listener = (signal: NodeJS.Signals): void => {
    if (fired) {
      process.stderr.write(`k2: second ${signal}, exiting without flushing\n`);
      process.exit(130);
    }
    fired = true;
    handler(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
