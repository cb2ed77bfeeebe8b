/**
 * A fake of the only Mattermost REST endpoint the sidecar uses, `GET /api/v4/users/{user_id}`, on
 * 127.0.0.1:0. Shapes follow Mattermost: a sanitized `UserProfile` (roles as one space-separated
 * string), errors as `model.AppError` JSON, `Content-Type: application/json` exactly (Client4 parses
 * only that), and a session token required as `Authorization: Bearer <token>` (scheme in any case).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UserProfile } from '@mattermost/types/users';

export interface FakeUser {
  readonly id: string;
  readonly username: string;
  /** Space-separated, as Mattermost stores them: "system_user", "system_user system_admin". */
  readonly roles: string;
  readonly deleteAt?: number;
  readonly isBot?: boolean;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly authorized: boolean;
}

export interface FakeMattermost {
  /** The site URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly requests: readonly FakeRequest[];
  setUser(user: FakeUser): void;
  /** Stops listening and drops connections: Mattermost is down. */
  close(): Promise<void>;
}

/** `model.AppError` as Mattermost serializes it outside developer mode (detailed_error wiped). */
interface AppErrorBody {
  readonly id: string;
  readonly message: string;
  readonly detailed_error: string;
  readonly request_id: string;
  readonly status_code: number;
}

const USER_ROUTE = /^\/api\/v4\/users\/([A-Za-z0-9]+)$/;

export async function startFakeMattermost(options: {
  token: string;
  users?: readonly FakeUser[];
}): Promise<FakeMattermost> {
  const users = new Map((options.users ?? []).map((u) => [u.id, u]));
  const requests: FakeRequest[] = [];

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const authorized = bearerToken(req) === options.token;
    requests.push({ method: req.method ?? '', path, authorized });
    const match = USER_ROUTE.exec(path);
    if (!match || req.method !== 'GET') {
      appError(res, 404, 'api.context.404.app_error', 'Sorry, we could not find the page.');
      return;
    }
    if (!authorized) {
      appError(res, 401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
      return;
    }
    const user = users.get(match[1]!);
    if (!user) {
      appError(res, 404, 'app.user.missing_account.const', 'Unable to find the user.');
      return;
    }
    send(res, 200, profile(user));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setUser(user) {
      users.set(user.id, user);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Mattermost reads `Authorization: Bearer <t>` or `Token <t>`, comparing the scheme case-insensitively. */
function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^(bearer|token) (.+)$/i.exec(header);
  return match?.[2];
}

/** What `GET /api/v4/users/{id}` returns to a bot for another user: sanitized, empty fields omitted. */
function profile(user: FakeUser): Partial<UserProfile> & Pick<UserProfile, 'id' | 'username' | 'roles' | 'delete_at'> {
  const created = 1_700_000_000_000;
  return {
    id: user.id,
    create_at: created,
    update_at: created,
    delete_at: user.deleteAt ?? 0,
    username: user.username,
    auth_service: '',
    email: `${user.username}@example.com`,
    nickname: '',
    first_name: '',
    last_name: '',
    position: '',
    roles: user.roles,
    locale: 'en',
    timezone: { automaticTimezone: '', manualTimezone: '', useAutomaticTimezone: 'true' },
    ...(user.isBot ? { is_bot: true, bot_description: '' } : {}),
  };
}

function appError(res: ServerResponse, status: number, id: string, message: string): void {
  const body: AppErrorBody = { id, message, detailed_error: '', request_id: requestId(res), status_code: status };
  send(res, status, body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'X-Request-Id': requestId(res),
    'X-Version-Id': '11.9.0.11.9.0.0000000000000000000000000000000000000000.false',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

const ids = new WeakMap<ServerResponse, string>();

/** Mattermost request ids are 26 lower-case base32 characters. */
function requestId(res: ServerResponse): string {
  let id = ids.get(res);
  if (!id) {
    id = [...randomBytes(26)].map((b) => 'abcdefghijklmnopqrstuvwxyz234567'[b % 32]).join('');
    ids.set(res, id);
  }
  return id;
}
