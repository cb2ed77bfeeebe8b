// Preloaded (node -r) into third-party servers started by tests: every listening socket that
// would bind all interfaces binds 127.0.0.1 instead, and the first real port is written to
// LOOPBACK_PORT_FILE (when set). Patching the bind step keeps listen(0) synchronous, as callers expect.
const net = require('node:net');
const fs = require('node:fs');
const setupListenHandle = net.Server.prototype._listen2;
const WILDCARD = new Set([undefined, null, '', '::', '0.0.0.0']);
let portWritten = false;
net.Server.prototype._listen2 = function loopbackOnly(address, port, addressType, backlog, fd, flags) {
  const forced = WILDCARD.has(address) && fd == null;
  if (forced && process.env.LOOPBACK_FORCE_PORT_ZERO === '1') port = 0;
  const result = setupListenHandle.call(
    this,
    forced ? '127.0.0.1' : address,
    port,
    forced ? 4 : addressType,
    backlog,
    fd,
    flags,
  );
  const file = process.env.LOOPBACK_PORT_FILE;
  if (file && !portWritten && this.address()) {
    portWritten = true;
    fs.writeFileSync(file, String(this.address().port));
  }
  return result;
};
