import { describe, expect, it } from 'vitest';
import { binaryLabel, describeWitness } from '../../src/binaries/witness.js';

describe('describeWitness', () => {
  it("shows a container's file as the path the workload saw, with its image layer", () => {
    // The host path `record -- docker run …` keeps for python3 in sl-debian:test.
    const docker =
      '/var/lib/docker/overlay2/ec2acbb4610a57d55cc225025d5cd451fe8747bba271368a944df442d246c8fd/diff/usr/bin/python3.11';
    expect(describeWitness({ function: 'bind', binary: docker })).toBe(
      'through bind of /usr/bin/python3.11 (image layer ec2acbb4610a)',
    );
    const podman =
      '/var/lib/containers/storage/overlay/0d1f2e3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0/diff/bin/busybox';
    expect(describeWitness({ binary: podman })).toBe(
      'in the code of /bin/busybox (image layer 0d1f2e3c4b5a)',
    );
  });

  it('leaves a host path as it is', () => {
    expect(binaryLabel('/usr/bin/redis-server')).toBe('/usr/bin/redis-server');
    expect(binaryLabel('/srv/overlay2/notes/diff/x')).toBe('/srv/overlay2/notes/diff/x');
  });
});
