// Docker reports "never" as its zero time (0001-01-01T00:00:00Z) in StartedAt/FinishedAt.

/** Docker's zero time for StartedAt/FinishedAt of a container that never started/finished. */
export function isDockerZeroTime(t: string | undefined): boolean {
  return !t || t.startsWith('0001-01-01');
}
