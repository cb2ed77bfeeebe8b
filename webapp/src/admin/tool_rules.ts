/**
 * A server's tool rules as the console edits them: `tools.<name>.enabled|policy` and `allow`/`deny` globs
 * (server/mcp/tool-access.ts decides for the AI bot; this mirrors it so the list shows, as the admin types,
 * what each switch and pattern hides). The rules live in the server draft's `extra` fields, saved as they are.
 */

export const POLICIES = ['ask', 'auto_run_in_dm', 'auto_run_everywhere'] as const;
export type Policy = (typeof POLICIES)[number];

export interface ToolSetting {
  enabled?: boolean;
  policy?: Policy;
}

export interface ToolRules {
  readonly tools: Readonly<Record<string, ToolSetting>>;
  readonly allow?: readonly string[];
  readonly deny: readonly string[];
}

export type Hidden =
  | { readonly kind: 'disabled' }
  | { readonly kind: 'denied'; readonly pattern: string }
  | { readonly kind: 'not_allowed' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

export function rulesOf(extra: Readonly<Record<string, unknown>>): ToolRules {
  const tools = isRecord(extra.tools) ? (extra.tools as Record<string, ToolSetting>) : {};
  const allow = strings(extra.allow);
  return { tools, ...(allow ? { allow } : {}), deny: strings(extra.deny) ?? [] };
}

/** The `extra` fields with these rules written in; empty rules leave no field behind. */
export function withRules(extra: Readonly<Record<string, unknown>>, rules: ToolRules): Record<string, unknown> {
  const { tools: _tools, allow: _allow, deny: _deny, ...rest } = extra;
  const tools = Object.fromEntries(
    Object.entries(rules.tools).filter(([, s]) => s.enabled !== undefined || s.policy !== undefined),
  );
  return {
    ...rest,
    ...(Object.keys(tools).length > 0 ? { tools } : {}),
    ...(rules.allow && rules.allow.length > 0 ? { allow: [...rules.allow] } : {}),
    ...(rules.deny.length > 0 ? { deny: [...rules.deny] } : {}),
  };
}

/** Patterns typed into one field, separated by commas or spaces. */
export function splitPatterns(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

function globMatches(pattern: string, name: string): boolean {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'su').test(name);
}

/**
 * Why the tool does not reach the AI bot (deny wins; an allow list hides what it does not name unless the tool is
 * switched on).
 */
export function hiddenBy(rules: ToolRules, tool: string): Hidden | undefined {
  const denied = rules.deny.find((p) => globMatches(p, tool));
  if (denied) return { kind: 'denied', pattern: denied };
  const setting = Object.prototype.hasOwnProperty.call(rules.tools, tool) ? rules.tools[tool] : undefined;
  if (setting?.enabled === false) return { kind: 'disabled' };
  if (
    rules.allow &&
    rules.allow.length > 0 &&
    setting?.enabled !== true &&
    !rules.allow.some((p) => globMatches(p, tool))
  )
    return { kind: 'not_allowed' };
  return undefined;
}

/** Patterns that match none of the listed tools: a warning (a typo, or a tool the server no longer has). */
export function unmatchedPatterns(rules: ToolRules, tools: readonly string[]): string[] {
  const field = (name: string, patterns: readonly string[] | undefined) =>
    (patterns ?? []).filter((p) => !tools.some((t) => globMatches(p, t))).map((p) => `${name} pattern ${p}`);
  return [...field('Allow', rules.allow), ...field('Deny', rules.deny)];
}

/** The sidecar's estimate (server/mcp/tool-budget.ts): the definition as JSON, 4 characters a token. */
export function estimateTokens(
  serverName: string,
  tool: { name: string; description: string; inputSchema?: unknown },
): number {
  const name = `${serverName}__${tool.name}`;
  return Math.ceil(
    JSON.stringify({ name, description: tool.description, input_schema: tool.inputSchema ?? {} }).length / 4,
  );
}
