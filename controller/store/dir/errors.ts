// The two error helpers every module of the directory store needs (one copy, not one per file).
export function errorCode(err: unknown): string | undefined { return (err as NodeJS.ErrnoException | undefined)?.code; }
export function errorMessage(err: unknown): string { return err instanceof Error ? err.message : String(err); }
