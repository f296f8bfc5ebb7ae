// Stands in, inside the agent bundle only, for dockerode dependencies the agent never calls:
// BuildKit sessions (@grpc/grpc-js, @grpc/proto-loader, protobufjs), build contexts (tar-fs,
// @balena/dockerignore) and ssh:// Docker hosts (ssh2, cpu-features). dockerode requires them at load
// time but touches them only inside those features; reaching one fails with this message instead.
'use strict';
const message = 'not included in the Berth agent bundle (image builds and ssh:// DOCKER_HOST are not supported; use unix:// or tcp://)';
function unsupported() { throw new Error(message); }
module.exports = new Proxy(unsupported, {
  get(_target, key) { return key === '__esModule' ? false : unsupported; },
  apply: unsupported,
  construct: unsupported,
});
