// Counting what a reader of numbered lines (1..N) received: duplicates, losses, and how often the
// sequence went backwards (a re-read) or skipped ahead (a loss). For log tests and probes. Pure.

export interface SequenceCount {
  /** Numbered lines received (duplicates included). */
  received: number;
  distinct: number;
  /** Lines received more than once, counted once per extra copy. */
  duplicates: number;
  /** Numbers in 1..N never received. */
  missing: number;
  /** Places where a number was not above the one before it (a re-read starts there). */
  backJumps: number;
  /** Places where numbers were skipped. */
  forwardJumps: number;
  /**
   * Back jumps NOT shaped like a re-read of a file's start: after going back from X to Y, the
   * numbers must run on one by one from Y through X again (Docker 20.10 after a rotation).
   */
  oddBackJumps: number;
}

/** NUMBERS in the order received; N the highest number written. */
export function countSequence(numbers: readonly number[], n: number): SequenceCount {
  const seen = new Uint32Array(n + 1);
  let backJumps = 0;
  let forwardJumps = 0;
  let oddBackJumps = 0;
  for (let i = 0; i < numbers.length; i++) {
    const x = numbers[i]!;
    if (Number.isInteger(x) && x >= 1 && x <= n) seen[x]!++;
    if (i === 0) continue;
    const prev = numbers[i - 1]!;
    if (x <= prev) {
      backJumps++;
      if (!rereads(numbers, i, prev)) oddBackJumps++;
    } else if (x > prev + 1) forwardJumps++;
  }
  let distinct = 0;
  let duplicates = 0;
  for (let i = 1; i <= n; i++) {
    if (seen[i]! > 0) { distinct++; duplicates += seen[i]! - 1; }
  }
  return { received: numbers.length, distinct, duplicates, missing: n - distinct, backJumps, forwardJumps, oddBackJumps };
}

/** Whether NUMBERS from index AT run on one by one up to UPTO (or to the end of what was received). */
function rereads(numbers: readonly number[], at: number, upTo: number): boolean {
  for (let i = at + 1; i < numbers.length && numbers[i - 1]! < upTo; i++) {
    if (numbers[i] !== numbers[i - 1]! + 1) return false;
  }
  return true;
}

export function describeCount(c: SequenceCount): string {
  return `${c.received} received, ${c.distinct} distinct, ${c.duplicates} duplicates, ${c.missing} missing (${c.backJumps} back jumps, ${c.oddBackJumps} not a re-read; ${c.forwardJumps} forward jumps)`;
}
