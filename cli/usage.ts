/** A mistake in how a command was called: printed with a hint to --help, exit status 2. */
export class UsageError extends Error {}
