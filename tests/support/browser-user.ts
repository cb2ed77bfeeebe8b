/**
 * A "user agent" for tests: a cookie jar and hand-followed redirects through oidc-provider's
 * development login and consent pages, stopping at the redirect to the client's callback.
 */

export interface BrowserUserOptions {
  /** The account to sign in as (oidc-provider's dev login accepts any name and password). */
  readonly login: string;
  /** Approve the consent page (default) or abort the interaction (the client then gets `access_denied`). */
  readonly consent?: 'approve' | 'deny';
}

interface StoredCookie {
  readonly value: string;
  readonly path: string;
}

const MAX_STEPS = 20;

export class BrowserUser {
  readonly login: string;
  private readonly consent: 'approve' | 'deny';
  /** host → "name path" → cookie */
  private readonly jar = new Map<string, Map<string, StoredCookie & { name: string }>>();
  /** Every URL the browser visited, in order (for assertions on the flow). */
  readonly visited: string[] = [];

  constructor(options: BrowserUserOptions) {
    this.login = options.login;
    this.consent = options.consent ?? 'approve';
  }

  /**
   * Opens `authorizationURL` and goes through login and consent until the server redirects to a
   * URL starting with `redirectURI`; returns that URL (with `code` and `state`, or `error`).
   */
  async authorize(authorizationURL: string | URL, redirectURI: string): Promise<URL> {
    let next: { url: URL; init: RequestInit } = { url: new URL(authorizationURL), init: { method: 'GET' } };
    for (let step = 0; step < MAX_STEPS; step++) {
      if (next.url.href.startsWith(redirectURI)) return next.url;
      const response = await this.request(next.url, next.init);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        next = { url: new URL(location, next.url), init: { method: 'GET' } };
        continue;
      }
      const html = await response.text();
      if (response.status !== 200)
        throw new Error(`BrowserUser: HTTP ${response.status} at ${next.url.pathname}: ${html.slice(0, 300)}`);
      next = this.fillIn(html, next.url);
    }
    throw new Error(`BrowserUser: no redirect to ${redirectURI} after ${MAX_STEPS} steps`);
  }

  /** Answers the login or consent page the way a person would. */
  private fillIn(html: string, pageURL: URL): { url: URL; init: RequestInit } {
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`BrowserUser: no form on ${pageURL.pathname}`);
    const formURL = new URL(decodeEntities(action), pageURL);
    if (prompt === 'login') {
      return { url: formURL, init: form({ prompt: 'login', login: this.login, password: 'any password' }) };
    }
    if (prompt === 'consent') {
      if (this.consent === 'deny')
        return { url: new URL(`${formURL.pathname}/abort`, formURL), init: { method: 'GET' } };
      return { url: formURL, init: form({ prompt: 'consent' }) };
    }
    throw new Error(`BrowserUser: unknown page at ${pageURL.pathname}`);
  }

  private async request(url: URL, init: RequestInit): Promise<Response> {
    this.visited.push(url.href);
    const headers = new Headers(init.headers);
    headers.set('accept', 'text/html');
    const cookie = this.cookiesFor(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.store(url, line);
    return response;
  }

  private cookiesFor(url: URL): string {
    const cookies = this.jar.get(url.host);
    if (!cookies) return '';
    return [...cookies.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** RFC 6265 §5.2, just enough: name, value, Path, and deletion through Max-Age/Expires. */
  private store(url: URL, line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.split('=', 2).map((s) => s.trim());
      if (key.toLowerCase() === 'path' && val.startsWith('/')) path = val;
      if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
      if (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) expired = true;
    }
    const cookies = this.jar.get(url.host) ?? new Map();
    this.jar.set(url.host, cookies);
    if (expired) cookies.delete(`${name} ${path}`);
    else cookies.set(`${name} ${path}`, { name, value, path });
  }
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

function decodeEntities(value: string): string {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&#x2F;/gi, '/')
    .replace(/&#47;/g, '/')
    .replace(/&quot;/g, '"');
}
