import { z } from 'zod';
import { ConfigValidationError, type ConfigIssue } from './errors.js';

/** The header that carries the Mattermost user to every MCP server; admins may not set it. */
export const MM_USER_ID_HEADER = 'X-Mattermost-UserID';

export const DEFAULT_IDLE_TIMEOUT_MINUTES = 30;

// RFC 9110 §5.1: field-name = token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Header values may not contain control characters other than HTAB (RFC 9110 §5.5).
// eslint-disable-next-line no-control-regex
const FIELD_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

/** Headers a server config may not set: identity and hop-by-hop headers the client owns. */
const RESERVED_HEADERS = new Set([
  MM_USER_ID_HEADER.toLowerCase(),
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'mcp-session-id',
  'mcp-protocol-version',
]);

const httpURL = z
  .string()
  .trim()
  .min(1, 'is required')
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an http(s) URL, got "${value}"` });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must be an http(s) URL, got scheme "${url.protocol.slice(0, -1)}"` });
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials; use headers or OAuth instead' });
    }
  });

const headers = z
  .record(z.string(), z.string())
  .default({})
  .superRefine((record, ctx) => {
    for (const [name, value] of Object.entries(record)) {
      if (!TOKEN.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a valid header name` });
      } else if (RESERVED_HEADERS.has(name.toLowerCase())) {
        const why =
          name.toLowerCase() === MM_USER_ID_HEADER.toLowerCase()
            ? 'is set by the plugin to the requesting user and cannot be overridden'
            : 'is managed by the MCP client and cannot be set';
        ctx.addIssue({ code: 'custom', path: [name], message: `header ${name} ${why}` });
      }
      if (!FIELD_VALUE.test(value)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'value must not contain control characters' });
      }
    }
  });

/** Per-server OAuth options for servers whose authorization server needs more than discovery. */
export const ServerOAuthSchema = z
  .object({
    /** A pre-registered client (for authorization servers without dynamic registration). */
    clientId: z.string().trim().min(1, 'must not be empty').optional(),
    clientSecret: z.string().min(1, 'must not be empty').optional(),
    /**
     * The issuer of the authorization server the pre-registered client belongs to (RFC 8414 `issuer`); required
     * with `clientId`: the client's credentials go to this issuer only. Its origin may be on a private network.
     */
    issuer: httpURL.optional(),
    /** Scopes to request when neither the server's challenge nor its metadata names any. */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token (RFC 6749 §3.3)'))
      .optional(),
    /** RFC 8707 `resource` to send instead of the discovered one (Entra-style servers). */
    resource: z.string().url('must be an absolute URL').optional(),
    /** Send no `resource` parameter at all. */
    omitResource: z.boolean().optional(),
    /** An `audience` parameter (Auth0-style servers). */
    audience: z.string().min(1).optional(),
    /** Accept an authorization server that does not advertise PKCE S256 (still sends S256). */
    allowMissingS256: z.boolean().optional(),
  })
  .strict()
  .superRefine((oauth, ctx) => {
    if (oauth.clientSecret && !oauth.clientId)
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'needs clientId' });
    if (oauth.clientId && !oauth.issuer) {
      ctx.addIssue({
        code: 'custom',
        path: ['issuer'],
        message: 'is required with clientId: the issuer URL of the authorization server the client is registered at',
      });
    }
    if (oauth.resource && oauth.omitResource)
      ctx.addIssue({ code: 'custom', path: ['omitResource'], message: 'cannot be combined with resource' });
  });

/**
 * How the Agents plugin may run a tool (its `tool_configs` policy): ask the user first, or run unasked in DMs or
 * everywhere.
 */
export const TOOL_POLICIES = ['ask', 'auto_run_in_dm', 'auto_run_everywhere'] as const;
export type ToolPolicy = (typeof TOOL_POLICIES)[number];

/**
 * A glob over a server's own tool names: `*` is any run of characters, `?` one character, the rest literal
 * (`delete_*`). At most 128 characters (SEP-986's tool name bound), no spaces or control characters.
 */
const toolPattern = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  .regex(/^[^\s\x00-\x1f\x7f]*$/, 'must not contain spaces or control characters (use * and ? as wildcards)');

/** An admin's settings for one tool, keyed by the tool's own name on its server. */
export const ToolSettingSchema = z
  .object({
    /** false: the tool is neither listed to the AI bot nor callable. */
    enabled: z.boolean().optional(),
    policy: z.enum(TOOL_POLICIES, { message: `must be one of ${TOOL_POLICIES.join(', ')}` }).optional(),
  })
  .strict();

export const ServerConfigSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(64, 'must be at most 64 characters'),
    enabled: z.boolean().default(true),
    baseURL: httpURL,
    headers,
    /** Per-server connect timeout in seconds (the handshake and first tool listing). */
    connectTimeoutSeconds: z.number().positive('must be positive').max(300).optional(),
    /** Per-server default tool-call timeout in seconds. */
    toolTimeoutSeconds: z.number().positive('must be positive').max(3600).optional(),
    oauth: ServerOAuthSchema.optional(),
    /**
     * Raises (or lowers) the bounds on this server's tool listing (defaults: `DEFAULT_TOOL_LIST_LIMITS` in
     * server/mcp/tool-list-limits.ts).
     */
    toolListLimits: z
      .object({
        maxListBytes: z
          .number()
          .int()
          .positive('must be positive')
          .max(256 * 1024 * 1024, 'must be at most 256 MiB')
          .optional(),
        maxTools: z.number().int().positive('must be positive').max(100_000).optional(),
        maxDescriptionBytes: z
          .number()
          .int()
          .positive('must be positive')
          .max(1024 * 1024, 'must be at most 1 MiB')
          .optional(),
        maxSchemaBytes: z
          .number()
          .int()
          .positive('must be positive')
          .max(16 * 1024 * 1024, 'must be at most 16 MiB')
          .optional(),
      })
      .strict()
      .optional(),
    /** Per-tool switches and policy hints, keyed by the tool's own name (server/mcp/tool-access.ts). */
    tools: z.record(z.string().min(1, 'tool names must not be empty').max(128), ToolSettingSchema).optional(),
    /** Only tools matching one of these globs reach the AI bot (besides tools set `enabled: true`); absent: all. */
    allow: z.array(toolPattern).max(200, 'at most 200 patterns').optional(),
    /** Tools matching any of these globs never reach the AI bot; deny wins over allow and `enabled: true`. */
    deny: z.array(toolPattern).max(200, 'at most 200 patterns').optional(),
  })
  .strict();

export const ConfigSchema = z.object({
  enabled: z.boolean().default(true),
  servers: z
    .array(ServerConfigSchema)
    .default([])
    .superRefine((servers, ctx) => {
      const seen = new Map<string, number>();
      servers.forEach((server, index) => {
        const key = server.name.trim().toLowerCase();
        const first = seen.get(key);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: `duplicate server name "${server.name}" (also servers[${first}])`,
          });
        } else {
          seen.set(key, index);
        }
      });
    }),
  idleTimeoutMinutes: z
    .number({ message: 'must be a number' })
    .min(0, 'must not be negative')
    .max(7 * 24 * 60, 'must be at most one week')
    .optional()
    .transform((minutes) => (minutes === undefined || minutes === 0 ? DEFAULT_IDLE_TIMEOUT_MINUTES : minutes)),
});

export type ServerConfig = z.infer<typeof ServerConfigSchema>;
export type ServerOAuthConfig = z.infer<typeof ServerOAuthSchema>;
export type ToolSetting = z.infer<typeof ToolSettingSchema>;
export type Config = z.infer<typeof ConfigSchema>;
/** What an admin may submit: defaults are filled in by `parseConfig`. */
export type ConfigInput = z.input<typeof ConfigSchema>;

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out ? `${out}.${String(part)}` : String(part);
  }, '');
}

/** Validates an admin-submitted configuration. Throws `ConfigValidationError` naming each bad field. */
export function parseConfig(input: unknown): Config {
  const result = ConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  throw new ConfigValidationError(issues);
}

/** Two server configs are the same connection target when everything a client uses is equal. */
export function sameServerConfig(a: ServerConfig, b: ServerConfig): boolean {
  return stableStringify(a) === stableStringify(b);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
