// The files-volume prune removes only volumes whose own labels say "files of this container on this
// host": an engine whose label filter is loose (Podman 4.3's Docker API) must not make it remove a
// named data volume. A fake engine returns every volume whatever the filter asks.
import type Docker from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LABELS } from '../protocol/container.js';
import { isFilesVolumeOf, pruneFilesVolumes } from './docker-files.js';

const id = { hostKey: 'games/box-1', hostUid: 'u1' };
const files = (name: string, host = id.hostKey) => ({ [LABELS.managed]: 'true', [LABELS.host]: host, [LABELS.files]: name });
const volumes = [
  { Name: 'data', Labels: { [LABELS.managed]: 'true', [LABELS.host]: id.hostKey } },      // a named volume (volumeLabels)
  { Name: 'berth-files-web-0-old', Labels: files('web') },
  { Name: 'berth-files-web-0-new', Labels: files('web') },
  { Name: 'berth-files-db-0-x', Labels: files('db') },
  { Name: 'other-host', Labels: files('web', 'games/box-2') },
  { Name: 'unlabelled', Labels: null },
];

function looseEngine(removed: string[]): Docker {
  return {
    listVolumes: async () => ({ Volumes: volumes, Warnings: [] }),
    getVolume: (name: string) => ({ remove: async () => { removed.push(name); } }),
  } as unknown as Docker;
}

test('isFilesVolumeOf needs all three labels to match', () => {
  assert.ok(isFilesVolumeOf(volumes[1]!, 'web', id));
  assert.not.ok(isFilesVolumeOf(volumes[0]!, 'web', id), 'a named data volume is never a files volume');
  assert.not.ok(isFilesVolumeOf(volumes[3]!, 'web', id));
  assert.not.ok(isFilesVolumeOf(volumes[4]!, 'web', id));
  assert.not.ok(isFilesVolumeOf(volumes[5]!, 'web', id));
});

test('with an engine that ignores the label filter, only this container\'s files volumes go (minus keep)', async () => {
  const removed: string[] = [];
  await pruneFilesVolumes(looseEngine(removed), 'web', id, new Set(['berth-files-web-0-new']));
  assert.equal(removed, ['berth-files-web-0-old']);
});

test.run();
