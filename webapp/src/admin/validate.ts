import { splitScopes, type ConfigDraft, type ServerDraft } from './config_model';

/**
 * The server's config rules (server/config/schema.ts), checked as the admin types so each problem
 * shows beside its field. Keys are `<draft key>.<field>`; messages start with the field's label.
 */
export type Issues = ReadonlyMap<string, string>;

export const MM_USER_ID_HEADER = 'X-Mattermost-UserID';
export const MAX_IDLE_TIMEOUT_MINUTES = 7 * 24 * 60;
export const MAX_CONNECT_TIMEOUT_SECONDS = 300;
export const MAX_TOOL_TIMEOUT_SECONDS = 3600;
export const MAX_SERVER_NAME_LENGTH = 64;

// RFC 9110 §5.1: field-name = token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: no control characters other than HTAB.
// eslint-disable-next-line no-control-regex
const FIELD_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Headers the MCP client owns (the server refuses them too). */
const MANAGED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'mcp-session-id',
  'mcp-protocol-version',
]);

export function validateHttpURL(label: string, value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return `${label} is required.`;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return `${label} must be an http(s) URL, like https://mcp.example.com/mcp.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `${label} must be an http(s) URL, not ${url.protocol.slice(0, -1)}:.`;
  if (url.username || url.password)
    return `${label} must not contain a user name or password; use a header or OAuth instead.`;
  return undefined;
}

function validateNumber(
  label: string,
  value: string,
  { min, max, unit, positive }: { min: number; max: number; unit: string; positive: boolean },
): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const parsed = Number(trimmed);
  if (!Number.isFinite(parsed)) return `${label} must be a number of ${unit}.`;
  if (positive ? parsed <= min : parsed < min)
    return `${label} must be ${positive ? 'more than' : 'at least'} ${min} ${unit}.`;
  if (parsed > max) return `${label} must be at most ${max} ${unit}.`;
  return undefined;
}

export function validateHeaderName(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return 'Header name is required.';
  if (!TOKEN.test(trimmed))
    return `Header name "${trimmed}" is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only).`;
  if (trimmed.toLowerCase() === MM_USER_ID_HEADER.toLowerCase())
    return `Header ${trimmed} is set by the plugin to the requesting user and cannot be overridden.`;
  if (MANAGED_HEADERS.has(trimmed.toLowerCase()))
    return `Header ${trimmed} is managed by the MCP client and cannot be set.`;
  return undefined;
}

function validateServer(server: ServerDraft, others: readonly ServerDraft[], issues: Map<string, string>): void {
  const name = server.name.trim();
  if (name === '') issues.set(`${server.key}.name`, 'Server name is required.');
  else if (name.length > MAX_SERVER_NAME_LENGTH)
    issues.set(`${server.key}.name`, `Server name must be at most ${MAX_SERVER_NAME_LENGTH} characters.`);
  else if (others.some((o) => o.key !== server.key && o.name.trim().toLowerCase() === name.toLowerCase())) {
    issues.set(
      `${server.key}.name`,
      `Server name "${name}" is used by another server (names are compared ignoring case).`,
    );
  }

  const url = validateHttpURL('Server URL', server.baseURL);
  if (url) issues.set(`${server.key}.baseURL`, url);

  const seen = new Set<string>();
  for (const row of server.headers) {
    if (row.name === '' && row.value === '') continue;
    const problem = validateHeaderName(row.name);
    if (problem) issues.set(`${row.key}.name`, problem);
    else if (seen.has(row.name.trim().toLowerCase()))
      issues.set(`${row.key}.name`, `Header ${row.name.trim()} is listed twice.`);
    seen.add(row.name.trim().toLowerCase());
    if (!FIELD_VALUE.test(row.value))
      issues.set(`${row.key}.value`, 'Header value must not contain control characters such as line breaks.');
  }

  const connect = validateNumber('Connect timeout', server.connectTimeout, {
    min: 0,
    max: MAX_CONNECT_TIMEOUT_SECONDS,
    unit: 'seconds',
    positive: true,
  });
  if (connect) issues.set(`${server.key}.connectTimeout`, connect);
  const tool = validateNumber('Tool call timeout', server.toolTimeout, {
    min: 0,
    max: MAX_TOOL_TIMEOUT_SECONDS,
    unit: 'seconds',
    positive: true,
  });
  if (tool) issues.set(`${server.key}.toolTimeout`, tool);

  const { oauth } = server;
  if (oauth.clientSecret && !oauth.clientId.trim())
    issues.set(`${server.key}.oauth.clientSecret`, 'Client secret needs a client ID.');
  const issuer = oauth.issuer.trim();
  if (oauth.clientId.trim() && issuer === '')
    issues.set(
      `${server.key}.oauth.issuer`,
      'Issuer is required with a client ID: the authorization server the client is registered at.',
    );
  else if (issuer !== '' && !/^https?:$/.test(protocolOf(issuer)))
    issues.set(`${server.key}.oauth.issuer`, 'Issuer must be an http(s) URL.');
  const badScope = splitScopes(oauth.scopes).find((scope) => !SCOPE_TOKEN.test(scope));
  if (badScope !== undefined)
    issues.set(`${server.key}.oauth.scopes`, `Scope "${badScope}" is not a valid OAuth scope (RFC 6749 §3.3).`);
  if (oauth.resourceMode === 'override') {
    const resource = oauth.resource.trim();
    if (resource === '')
      issues.set(`${server.key}.oauth.resource`, 'Resource is required when it overrides the discovered one.');
    else if (!canParse(resource)) issues.set(`${server.key}.oauth.resource`, 'Resource must be an absolute URL.');
  }
}

function protocolOf(value: string): string {
  try {
    return new URL(value).protocol;
  } catch {
    return '';
  }
}

function canParse(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

export function validateDraft(draft: ConfigDraft): Issues {
  const issues = new Map<string, string>();
  const idle = validateNumber('Idle timeout', draft.idleTimeout, {
    min: 0,
    max: MAX_IDLE_TIMEOUT_MINUTES,
    unit: 'minutes',
    positive: false,
  });
  if (idle) issues.set('idleTimeout', idle);
  for (const server of draft.servers) validateServer(server, draft.servers, issues);
  return issues;
}

/** The issues that belong to one server (its own fields and its header rows). */
export function serverIssues(issues: Issues, server: ServerDraft): string[] {
  const keys = new Set([server.key, ...server.headers.map((h) => h.key)]);
  return [...issues].filter(([key]) => keys.has(key.split('.')[0]!)).map(([, message]) => message);
}
