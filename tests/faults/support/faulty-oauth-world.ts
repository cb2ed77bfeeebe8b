/**
 * The world of the OAuth fault specs: an authorization server behind a `FaultyHost`, a server it protects, an open one.
 */
import { parseConfig, type Config } from '../../../server/config/schema.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../../support/authorization-server.js';
import { echoTool, startMcpServer, type TestMcpServer } from '../../support/mcp-test-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../../support/protected-mcp-server.js';
import { faultyHost, type FaultyHost } from './faulty-host.js';

export interface FaultyOAuthWorld {
  readonly as: TestAuthorizationServer;
  /** Stands between the authorization server and its callers, with faults the specs switch on and off. */
  readonly host: FaultyHost;
  readonly secure: ProtectedMcpServer;
  readonly open: TestMcpServer;
  /** Both servers: `secure` (needs OAuth) and `open`. */
  readonly config: Config;
  close(): Promise<void>;
}

export async function startFaultyOAuthWorld(): Promise<FaultyOAuthWorld> {
  let host: FaultyHost | undefined;
  const as = await startAuthorizationServer({
    accessTokenTTL: 600,
    serveThrough: (provider) => (host = faultyHost(provider)).listener,
  });
  const secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  const open = await startMcpServer({ tools: [echoTool] });
  const config = parseConfig({
    servers: [
      { name: 'secure', baseURL: secure.url },
      { name: 'open', baseURL: open.url },
    ],
  });
  return {
    as,
    host: host!,
    secure,
    open,
    config,
    async close() {
      await open.close();
      await secure.stop();
      await as.stop();
    },
  };
}
