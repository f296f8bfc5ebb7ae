// Hosts' image updates (spec.imageUpdates.policy: Poll) on top of one DigestPoller: the host
// reconciler asks for the pins of a host on every pass; this keeps the poller's watch list for that
// host in step and enqueues the host when one of its tags moves.
import type { ObservedContainer } from '../../protocol/container.js';
import type { ContainerHost, ResourceKey } from '../api/types.js';
import { pullAuthFor, type SecretLookup } from '../reconcile/resolve.js';
import type { DigestPoller } from './digest-poller.js';
import { pinHostImages, type HostPins } from './host-pins.js';

const OWNER = 'ContainerHost/';

export class HostImageFollower {
  constructor(private readonly poller: DigestPoller, private readonly secrets: SecretLookup) {}

  /** The poller's onChange for hosts: the owner names of hosts → their keys. */
  static hostKeys(owners: string[]): ResourceKey[] {
    return owners.filter((o) => o.startsWith(OWNER)).map((o) => o.slice(OWNER.length) as ResourceKey);
  }

  pins(key: ResourceKey, host: ContainerHost, observed: readonly ObservedContainer[] | undefined): HostPins {
    const pins = pinHostImages(host, this.poller, observed, (image) => pullAuthFor(host, image, this.secrets));
    this.poller.track(OWNER + key, pins.watch);
    return pins;
  }

  forget(key: ResourceKey): void { this.poller.track(OWNER + key, []); }
}
