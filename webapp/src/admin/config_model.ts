/**
 * The MCP `Config` as stored in the plugin setting, and the editable draft the console works on.
 * The draft keeps what JSON cannot (header rows in order, half-typed numbers); `configFromDraft`
 * turns it back into the JSON value. Invalid input is passed through as typed, so the server's
 * ConfigurationWillBeSaved check refuses it instead of the console silently saving something else.
 */

export interface OAuthSettings {
  clientId?: string;
  clientSecret?: string;
  issuer?: string;
  scopes?: string[];
  resource?: string;
  omitResource?: boolean;
  audience?: string;
  allowMissingS256?: boolean;
}

export interface ServerSettings {
  name: string;
  enabled: boolean;
  baseURL: string;
  headers: Record<string, string>;
  connectTimeoutSeconds?: number;
  toolTimeoutSeconds?: number;
  oauth?: OAuthSettings;
  [unknownField: string]: unknown;
}

export interface McpConfig {
  enabled: boolean;
  idleTimeoutMinutes?: number;
  servers: ServerSettings[];
  [unknownField: string]: unknown;
}

export interface HeaderRow {
  readonly key: string;
  readonly name: string;
  readonly value: string;
}

export type ResourceMode = 'discovered' | 'override' | 'omit';

export interface OAuthDraft {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The authorization server the pre-registered client belongs to; required with a client ID. */
  readonly issuer: string;
  /** Space- or comma-separated. */
  readonly scopes: string;
  readonly resourceMode: ResourceMode;
  readonly resource: string;
  readonly audience: string;
  readonly allowMissingS256: boolean;
}

export interface ServerDraft {
  /** Stable React key and validation key: survives renames and reordering. */
  readonly key: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly baseURL: string;
  readonly headers: readonly HeaderRow[];
  readonly connectTimeout: string;
  readonly toolTimeout: string;
  readonly oauth: OAuthDraft;
  /** Fields this console does not know, kept as they were. */
  readonly extra: Readonly<Record<string, unknown>>;
}

export interface ConfigDraft {
  readonly enabled: boolean;
  readonly idleTimeout: string;
  readonly servers: readonly ServerDraft[];
  readonly extra: Readonly<Record<string, unknown>>;
}

/**
 * Mattermost's mask for a secret setting (`model.FakeSetting`). Config is one: the console gets it masked whole
 * and reads the servers from the sidecar, where the mask stands for each saved header value and client secret;
 * a mask sent back keeps the saved value (the plugin restores it before Mattermost stores the config).
 */
export const SECRET_MASK = '********************************';

export function isMasked(value: unknown): boolean {
  return value === SECRET_MASK;
}

let nextKey = 0;
export function newKey(prefix: string): string {
  nextKey += 1;
  return `${prefix}${nextKey}`;
}

const SERVER_FIELDS = new Set([
  'name',
  'enabled',
  'baseURL',
  'headers',
  'connectTimeoutSeconds',
  'toolTimeoutSeconds',
  'oauth',
]);
const CONFIG_FIELDS = new Set(['enabled', 'idleTimeoutMinutes', 'servers']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function rest(record: Record<string, unknown>, known: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([field]) => !known.has(field)));
}

/** The setting's stored value: an object, a JSON string, or nothing yet. */
export function parseStoredValue(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    try {
      const parsed: unknown = JSON.parse(value);
      return isRecord(parsed) ? parsed : {};
    } catch {
      return {};
    }
  }
  return isRecord(value) ? value : {};
}

export const EMPTY_OAUTH: OAuthDraft = {
  clientId: '',
  clientSecret: '',
  issuer: '',
  scopes: '',
  resourceMode: 'discovered',
  resource: '',
  audience: '',
  allowMissingS256: false,
};

function oauthDraft(value: unknown): OAuthDraft {
  if (!isRecord(value)) return EMPTY_OAUTH;
  const scopes = Array.isArray(value.scopes) ? value.scopes.map(text).join(' ') : text(value.scopes);
  const resourceMode: ResourceMode =
    value.omitResource === true ? 'omit' : text(value.resource) ? 'override' : 'discovered';
  return {
    clientId: text(value.clientId),
    clientSecret: text(value.clientSecret),
    issuer: text(value.issuer),
    scopes,
    resourceMode,
    resource: text(value.resource),
    audience: text(value.audience),
    allowMissingS256: value.allowMissingS256 === true,
  };
}

export function serverDraft(value: unknown): ServerDraft {
  const record = isRecord(value) ? value : {};
  const headers = isRecord(record.headers) ? Object.entries(record.headers) : [];
  return {
    key: newKey('server'),
    name: text(record.name),
    enabled: record.enabled !== false,
    baseURL: text(record.baseURL),
    headers: headers.map(([name, headerValue]) => ({ key: newKey('header'), name, value: text(headerValue) })),
    connectTimeout: text(record.connectTimeoutSeconds),
    toolTimeout: text(record.toolTimeoutSeconds),
    oauth: oauthDraft(record.oauth),
    extra: rest(record, SERVER_FIELDS),
  };
}

export function draftFromValue(value: unknown): ConfigDraft {
  const record = parseStoredValue(value);
  return {
    enabled: record.enabled !== false,
    idleTimeout: text(record.idleTimeoutMinutes),
    servers: Array.isArray(record.servers) ? record.servers.map(serverDraft) : [],
    extra: rest(record, CONFIG_FIELDS),
  };
}

/** A new server named "MCP Server N", unique among the existing names. */
export function newServerDraft(existing: readonly ServerDraft[]): ServerDraft {
  const taken = new Set(existing.map((s) => s.name.trim().toLowerCase()));
  let n = existing.length + 1;
  while (taken.has(`mcp server ${n}`)) n += 1;
  return { ...serverDraft({}), name: `MCP Server ${n}` };
}

/** A number when the text is one; blank → undefined; anything else is passed on as typed. */
function numberOrText(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : trimmed;
}

export function splitScopes(scopes: string): string[] {
  return scopes.split(/[\s,]+/).filter(Boolean);
}

function oauthFromDraft(draft: OAuthDraft): OAuthSettings | undefined {
  const out: OAuthSettings = {};
  if (draft.clientId.trim()) out.clientId = draft.clientId.trim();
  if (draft.clientSecret) out.clientSecret = draft.clientSecret;
  if (draft.issuer.trim()) out.issuer = draft.issuer.trim();
  const scopes = splitScopes(draft.scopes);
  if (scopes.length > 0) out.scopes = scopes;
  if (draft.resourceMode === 'override') out.resource = draft.resource.trim();
  if (draft.resourceMode === 'omit') out.omitResource = true;
  if (draft.audience.trim()) out.audience = draft.audience.trim();
  if (draft.allowMissingS256) out.allowMissingS256 = true;
  return Object.keys(out).length > 0 ? out : undefined;
}

export function serverFromDraft(draft: ServerDraft): ServerSettings {
  const headers: Record<string, string> = {};
  for (const row of draft.headers) {
    if (row.name === '' && row.value === '') continue; // an untouched new row
    headers[row.name.trim()] = row.value;
  }
  const connect = numberOrText(draft.connectTimeout);
  const tool = numberOrText(draft.toolTimeout);
  const oauth = oauthFromDraft(draft.oauth);
  return {
    ...draft.extra,
    name: draft.name.trim(),
    enabled: draft.enabled,
    baseURL: draft.baseURL.trim(),
    headers,
    ...(connect === undefined ? {} : { connectTimeoutSeconds: connect as number }),
    ...(tool === undefined ? {} : { toolTimeoutSeconds: tool as number }),
    ...(oauth ? { oauth } : {}),
  };
}

export function configFromDraft(draft: ConfigDraft): McpConfig {
  const idle = numberOrText(draft.idleTimeout);
  return {
    ...draft.extra,
    enabled: draft.enabled,
    ...(idle === undefined ? {} : { idleTimeoutMinutes: idle as number }),
    servers: draft.servers.map(serverFromDraft),
  };
}
