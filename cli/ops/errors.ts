/**
 * A failure the user can act on (the controller is unreachable, a host is not found, access is
 * refused, a port is in use): printed as one line "berth VERB: MESSAGE", no stack trace.
 */
export class CliError extends Error {
  /** STATUS: the HTTP status of a refused API request. */
  constructor(message: string, readonly exitCode = 1, readonly status?: number) { super(message); }
}
