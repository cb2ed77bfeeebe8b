// Preloaded (node -r) into third-party servers started by tests: every listen() goes to
// 127.0.0.1 on a free port, and the real port is written to LOOPBACK_PORT_FILE.
const net = require('node:net');
const fs = require('node:fs');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function patchedListen(...args) {
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  const server = this;
  const portFile = process.env.LOOPBACK_PORT_FILE;
  return listen.call(server, 0, '127.0.0.1', function onListening() {
    if (portFile) fs.writeFileSync(portFile, String(server.address().port));
    if (callback) callback.apply(this, arguments);
  });
};
