/**
 * Mattermost's REST API as a person's browser or script uses it: plain fetch against the server's
 * HTTP port, a session token as `Authorization: Bearer`, or the session cookies a browser holds.
 */

export interface Session {
  readonly userId: string;
  readonly username: string;
  /** The session token (`Token` header of the login answer). */
  readonly token: string;
  /** The cookies a browser got at login: `MMAUTHTOKEN`, `MMUSERID`, `MMCSRF`. */
  readonly cookies: Readonly<Record<string, string>>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  readonly json: any;
}

export interface ApiRequest {
  readonly method?: string;
  /** A session (Bearer token), or nothing: anonymous. */
  readonly as?: Session;
  /** Send the session as a browser does (cookies, plus `X-CSRF-Token` on unsafe methods) instead of a Bearer token. */
  readonly browser?: boolean;
  readonly json?: unknown;
  readonly body?: BodyInit;
  readonly headers?: Record<string, string>;
}

export class MattermostApi {
  constructor(readonly siteURL: string) {}

  async request(path: string, options: ApiRequest = {}): Promise<ApiResponse> {
    const headers = new Headers(options.headers);
    const method = options.method ?? (options.json === undefined && options.body === undefined ? 'GET' : 'POST');
    if (options.as && options.browser) {
      headers.set(
        'cookie',
        Object.entries(options.as.cookies)
          .map(([name, value]) => `${name}=${value}`)
          .join('; '),
      );
      if (!['GET', 'HEAD'].includes(method)) {
        headers.set('x-csrf-token', options.as.cookies.MMCSRF ?? '');
        headers.set('x-requested-with', 'XMLHttpRequest');
      }
    } else if (options.as && !headers.has('authorization')) {
      headers.set('authorization', `Bearer ${options.as.token}`);
    }
    let body = options.body;
    if (options.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(options.json);
    }
    const response = await fetch(new URL(path, this.siteURL), { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** Like `request`, but throws with Mattermost's answer unless the status is 2xx. */
  async ok(path: string, options: ApiRequest = {}): Promise<any> {
    const response = await this.request(path, options);
    if (response.status < 200 || response.status > 299) {
      throw new Error(
        `${options.method ?? (options.json === undefined && options.body === undefined ? 'GET' : 'POST')} ${path}: HTTP ${response.status} ${response.text.slice(0, 500)}`,
      );
    }
    return response.json;
  }

  async login(loginId: string, password: string): Promise<Session> {
    const response = await fetch(new URL('/api/v4/users/login', this.siteURL), {
      method: 'POST',
      // As the web app logs in: Mattermost sets the session cookies only for an XMLHttpRequest.
      headers: { 'content-type': 'application/json', 'x-requested-with': 'XMLHttpRequest' },
      body: JSON.stringify({ login_id: loginId, password }),
    });
    const user = (await response.json()) as { id: string; username: string };
    const token = response.headers.get('token');
    if (response.status !== 200 || !token) throw new Error(`login as ${loginId}: HTTP ${response.status}`);
    const cookies: Record<string, string> = {};
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) cookies[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return { userId: user.id, username: user.username, token, cookies };
  }
}
