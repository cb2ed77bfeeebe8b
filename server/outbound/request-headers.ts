import { MM_USER_ID_HEADER } from '../config/schema.js';
import type { FetchLike } from './fetch-like.js';

/**
 * Wraps `fetch` so that every request to an MCP server (POST, the SSE GET, DELETE) carries the
 * admin's headers and then `X-Mattermost-UserID`, set last so no admin header can replace it.
 * Headers the transport set itself (session id, protocol version, Authorization) are kept.
 */
export function withServerHeaders(
  base: FetchLike,
  userId: string,
  adminHeaders: Readonly<Record<string, string>>,
): FetchLike {
  const admin = Object.entries(adminHeaders).filter(([name]) => name.toLowerCase() !== MM_USER_ID_HEADER.toLowerCase());
  return (url, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of admin) {
      if (!headers.has(name)) headers.set(name, value);
    }
    headers.set(MM_USER_ID_HEADER, userId);
    return base(url, { ...init, headers });
  };
}
