import { PLUGIN_ID } from '../manifest';
import { browserSiteURL } from './site_url';

/** A failed call to the plugin: `message` is the server's own explanation when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function pluginURL(path: string): string {
  return `${browserSiteURL()}/plugins/${PLUGIN_ID}${path}`;
}

/** The session's CSRF token, which Mattermost keeps in the MMCSRF cookie. */
function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'MMCSRF') return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/**
 * Calls the plugin the way Client4.getOptions does: cookies included, `X-Requested-With`, and the
 * CSRF token on every non-GET request (without it Mattermost forwards the request anonymously).
 */
export async function requestJSON<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
  if (method !== 'GET') {
    const token = csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(pluginURL(path), {
      method,
      headers,
      credentials: 'include',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'Could not reach the Mattermost server. Check your connection and try again.');
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const payload = (data ?? {}) as { error?: unknown; message?: unknown; code?: unknown };
    const message =
      typeof payload.error === 'string'
        ? payload.error
        : typeof payload.message === 'string'
          ? payload.message
          : `The request failed (HTTP ${response.status}).`;
    throw new ApiError(response.status, message, typeof payload.code === 'string' ? payload.code : undefined);
  }
  return data as T;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens an authorization URL from the server in a new tab, without giving that page a handle on
 * Mattermost's window. Only http(s) URLs are opened.
 */
export function openAuthURL(url: string): boolean {
  let target: URL;
  try {
    target = new URL(url, `${browserSiteURL()}/`);
  } catch {
    return false;
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return false;
  window.open(target.href, '_blank', 'noopener,noreferrer');
  return true;
}
