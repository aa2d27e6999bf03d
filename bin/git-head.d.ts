/** The commit a git checkout is at (read from its files), or null outside a checkout. */
export function gitHead(root: string): string | null;
