// How the page paces its reconnects (page feed and log sockets): the agents' full-jitter backoff
// (protocol/backoff.ts), with a shorter cap and stable time — a person is watching, and a page that
// stayed up 30 s counts as healthy again.
import { Backoff, type BackoffOptions } from '../../../protocol/backoff.js';

export const PAGE_BACKOFF: Readonly<BackoffOptions> = { baseMs: 500, capMs: 15_000, stableMs: 30_000 };

export const pageBackoff = (): Backoff => new Backoff(PAGE_BACKOFF);
