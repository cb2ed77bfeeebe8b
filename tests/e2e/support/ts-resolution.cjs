/**
 * Jest compiles the global setup and teardown to CommonJS and loads them with Node's own resolver,
 * which does not map the `.js` specifiers TypeScript sources import (`./plugin.js`) to their `.ts`
 * files, as the specs' moduleNameMapper does. The global setup imports this first; it maps a missing
 * relative `.js` to the `.ts` beside it.
 */
const Module = require('node:module');

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveTypeScript(request, ...rest) {
  try {
    return resolve.call(this, request, ...rest);
  } catch (error) {
    if (!request.startsWith('.') || !request.endsWith('.js')) throw error;
    return resolve.call(this, `${request.slice(0, -3)}.ts`, ...rest);
  }
};
