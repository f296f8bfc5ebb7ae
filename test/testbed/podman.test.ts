// Smoke tests of the test bed's Podman (component `podman`): its Docker-compatible API answers on
// its own socket (not the bed's dockerd), has the busybox test images, and runs a container whose
// output comes back through the Docker API the agent uses.
import Docker from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bed } from '../support/testbed.js';
import { randomToken } from '../support/docker.js';

const host = bed('BERTH_TEST_PODMAN_HOST');
const podman = new Docker({ socketPath: host.replace(/^unix:\/\//, '') });

test('the podman socket answers as Podman with a Docker API version', async () => {
  const v = await podman.version();
  assert.ok(v.Components?.some((c) => c.Name === 'Podman Engine'), JSON.stringify(v.Components));
  assert.ok(v.ApiVersion, 'reports a Docker API version');
});

test('the test images are there and a container runs and exits with its output', async () => {
  const img = await podman.getImage(bed('BERTH_TEST_IMAGE')).inspect();
  assert.is(img.Config.Labels?.['org.berth.test-image'], '1');
  const name = `berth-test-podman-${randomToken()}`;
  const c = await podman.createContainer({ name, Image: bed('BERTH_TEST_IMAGE'), Cmd: ['cat', '/berth-image-version'] });
  try {
    await c.start();
    const r = (await c.wait()) as { StatusCode: number };
    assert.is(r.StatusCode, 0);
    const logs = (await c.logs({ stdout: true })) as Buffer;
    assert.match(logs.toString('latin1'), /1\n$/);
  } finally {
    await c.remove({ force: true });
  }
});

test.run();
