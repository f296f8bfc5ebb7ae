// Follow mode for the log tail. Following, the view sticks to the newest line. The moment the
// reader scrolls away from the bottom, following pauses and stays paused — new lines are counted,
// never scrolled to — until the reader returns to the bottom or presses Resume. The view is never
// yanked back. Pure: the component feeds it scroll metrics.

export interface ScrollMetrics { scrollTop: number; clientHeight: number; scrollHeight: number }

export class FollowState {
  following = true;
  /** Lines that arrived while paused. */
  unseen = 0;

  /** `slackPx`: how close to the bottom still counts as "at the bottom" (sub-pixel rounding, zoom). */
  constructor(private readonly slackPx = 4) {}

  atBottom(m: ScrollMetrics): boolean {
    return m.scrollHeight - m.clientHeight - m.scrollTop <= this.slackPx;
  }

  /** After any scroll (the reader's or ours): returns true when the state changed. */
  scrolled(m: ScrollMetrics): boolean {
    const bottom = this.atBottom(m);
    if (bottom && !this.following) { this.following = true; this.unseen = 0; return true; }
    if (!bottom && this.following) { this.following = false; return true; }
    return false;
  }

  /** New rows were shown. */
  appended(n: number): void { if (!this.following) this.unseen += n; }

  resume(): void { this.following = true; this.unseen = 0; }
}
