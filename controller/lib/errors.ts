// Error helpers for unknown thrown values (Node errors carry a code, anything else only a message).
export function errorCode(err: unknown): string | undefined { return (err as NodeJS.ErrnoException | undefined)?.code; }
export function errorMessage(err: unknown): string { return err instanceof Error ? err.message : String(err); }
