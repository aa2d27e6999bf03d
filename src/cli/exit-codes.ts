export const EXIT_OK = 0;
/** Runtime failure: bad input data, unreachable broker, failed commit. */
export const EXIT_FAILURE = 1;
/** Usage: bad flag or configuration value, or a command that is not built yet. */
export const EXIT_USAGE = 2;
