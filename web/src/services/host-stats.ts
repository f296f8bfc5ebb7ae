// The resource history of the host the page shows: fetched from GET /api/v1/hosts/NS/NAME/stats when
// the route enters a host (and again after the feed reconnects, to fill what was missed), then kept
// live by the page feed's `stats` events. A reload loses nothing: the controller keeps the history.
import type { HostStatsView, PageStats } from '../../../protocol/stats.js';
import { applySample } from '../lib/stats.js';

export class HostStatsTracker {
  private key: string | undefined;
  private view: HostStatsView | undefined;
  private request = 0;

  constructor(private readonly changed: (view: HostStatsView | undefined) => void) {}

  /** Follow host NS/NAME (undefined: no host on screen). */
  follow(host: { namespace: string; name: string } | undefined, force = false): void {
    const key = host ? `${host.namespace}/${host.name}` : undefined;
    if (key === this.key && !force) return;
    this.key = key;
    if (!force || !key) { this.view = undefined; this.changed(undefined); }
    if (!host) return;
    const mine = ++this.request;
    void fetch(`/api/v1/hosts/${encodeURIComponent(host.namespace)}/${encodeURIComponent(host.name)}/stats`, { credentials: 'same-origin', cache: 'no-store' })
      .then(async (res) => (res.ok ? await res.json() as HostStatsView : undefined))
      .catch(() => undefined)
      .then((view) => {
        if (mine !== this.request || !view) return;
        this.view = view;
        this.changed(view);
      });
  }

  /** The feed reconnected: samples may have been missed. */
  refresh(): void {
    if (!this.key) return;
    const slash = this.key.indexOf('/');
    this.follow({ namespace: this.key.slice(0, slash), name: this.key.slice(slash + 1) }, true);
  }

  sample(s: PageStats): void {
    if (!this.view || s.host !== this.key) return;
    const next = applySample(this.view, s);
    if (next === this.view) return;
    this.view = next;
    this.changed(next);
  }
}
