/**
 * A user clicking Connect in a browser logged in to Mattermost: the plugin's start route with the
 * session cookie, the authorization server's login and consent (BrowserUser), and the redirect back
 * to the plugin's callback through Mattermost.
 */
import { expect } from '@jest/globals';
import { BrowserUser } from '../../support/browser-user.js';
import type { Session } from './mattermost-api.js';
import { listTools } from './people.js';
import { api, pluginPath, world } from './world.js';

/** The Connect URL the plugin offers `user` for `serverName` (from the user's tool list). */
export async function connectURL(user: Session, serverName: string): Promise<string> {
  const tools = await listTools(user);
  expect(tools.status).toBe(200);
  const authError = tools.json.errors.toolAuthErrors.find((e: { serverName: string }) => e.serverName === serverName);
  expect(authError).toEqual(
    expect.objectContaining({ authURL: `${world().siteURL}${pluginPath(`/mcp/oauth/${serverName}/start`)}` }),
  );
  return authError.authURL;
}

/** Opens the Connect URL and signs in at `issuer`; returns the callback URL the browser is sent back to. */
export async function authorizeInBrowser(user: Session, serverName: string, issuer: string): Promise<URL> {
  const start = await api().request(await connectURL(user, serverName), { as: user, browser: true });
  expect(start.status).toBe(302);
  const location = start.headers.get('location')!;
  expect(location.startsWith(`${issuer}/`)).toBe(true);
  return new BrowserUser({ login: user.username }).authorize(
    location,
    `${world().siteURL}${pluginPath('/oauth/callback')}`,
  );
}

/** The whole Connect, ending on the plugin's "connected" page. */
export async function connectInBrowser(user: Session, serverName: string, issuer: string): Promise<void> {
  const callback = await authorizeInBrowser(user, serverName, issuer);
  const page = await api().request(callback.href, { as: user, browser: true });
  expect(page.status).toBe(200);
  expect(page.text).toContain(`Your account is connected to ${serverName}`);
}
