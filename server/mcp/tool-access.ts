import type { ServerConfig, ToolPolicy } from '../config/schema.js';

/** Why a tool does not reach the AI bot: switched off by name, matched by a deny pattern, or outside the allow list. */
export type HiddenBy =
  | { readonly kind: 'disabled' }
  | { readonly kind: 'denied'; readonly pattern: string }
  | { readonly kind: 'not_allowed' };

/** A pattern (or tool setting) of a server's config that none of its current tools matches: a warning, not an error. */
export interface UnmatchedRule {
  readonly serverName: string;
  /** `allow[1]`, `deny[0]`, `tools.<name>`: the config field. */
  readonly field: string;
  readonly pattern: string;
}

/** A glob (`*` any run, `?` one character, the rest literal) as an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su');
}

/**
 * One server's admin rules over its tools (`tools`, `allow`, `deny` in its config). A tool reaches the AI bot
 * unless a deny pattern matches it (deny wins), its setting says `enabled: false`, or an allow list exists that
 * neither matches it nor is overridden by `enabled: true`.
 */
export class ToolAccess {
  private readonly allow: ReadonlyArray<readonly [string, RegExp]> | undefined;
  private readonly deny: ReadonlyArray<readonly [string, RegExp]>;

  constructor(private readonly server: ServerConfig) {
    this.allow = server.allow?.map((p) => [p, globToRegExp(p)] as const);
    this.deny = (server.deny ?? []).map((p) => [p, globToRegExp(p)] as const);
  }

  /** True when the server's config restricts nothing: every tool reaches the bot. */
  get open(): boolean {
    return (
      !this.allow && this.deny.length === 0 && !Object.values(this.server.tools ?? {}).some((t) => t.enabled === false)
    );
  }

  /** Undefined when the tool reaches the bot, else why not. */
  hiddenBy(toolName: string): HiddenBy | undefined {
    const denied = this.deny.find(([, re]) => re.test(toolName));
    if (denied) return { kind: 'denied', pattern: denied[0] };
    const setting = this.setting(toolName);
    if (setting?.enabled === false) return { kind: 'disabled' };
    if (this.allow && setting?.enabled !== true && !this.allow.some(([, re]) => re.test(toolName)))
      return { kind: 'not_allowed' };
    return undefined;
  }

  allows(toolName: string): boolean {
    return this.hiddenBy(toolName) === undefined;
  }

  /** The admin's policy hint for the Agents plugin, if any. */
  policy(toolName: string): ToolPolicy | undefined {
    return this.setting(toolName)?.policy;
  }

  /** Patterns and tool settings that match none of `toolNames` (a typo, or a tool the server dropped). */
  unmatched(toolNames: readonly string[]): UnmatchedRule[] {
    const rules: UnmatchedRule[] = [];
    const check = (field: string, pattern: string, re: RegExp) => {
      if (!toolNames.some((name) => re.test(name))) rules.push({ serverName: this.server.name, field, pattern });
    };
    this.allow?.forEach(([p, re], i) => check(`allow[${i}]`, p, re));
    this.deny.forEach(([p, re], i) => check(`deny[${i}]`, p, re));
    for (const name of Object.keys(this.server.tools ?? {})) {
      if (!toolNames.includes(name))
        rules.push({ serverName: this.server.name, field: `tools.${name}`, pattern: name });
    }
    return rules;
  }

  private setting(toolName: string) {
    const tools = this.server.tools;
    return tools && Object.hasOwn(tools, toolName) ? tools[toolName] : undefined;
  }
}

const compiled = new WeakMap<ServerConfig, ToolAccess>();

/** The rules of one server config, compiled once per config object (every user of a config shares them). */
export function toolAccessFor(server: ServerConfig): ToolAccess {
  let access = compiled.get(server);
  if (!access) compiled.set(server, (access = new ToolAccess(server)));
  return access;
}

/** What one unmatched rule means, for the log and the admin view. */
export function describeUnmatched(rule: UnmatchedRule): string {
  return `Server ${rule.serverName}: ${rule.field} "${rule.pattern}" matches none of the server's tools (a typo, or a tool it no longer has).`;
}

/** The part of a server config a connection depends on: changing only tool rules keeps users' connections. */
export function connectionPart(server: ServerConfig): ServerConfig {
  const { tools: _tools, allow: _allow, deny: _deny, ...rest } = server;
  return rest;
}

const warned = new WeakMap<ServerConfig, WeakSet<readonly { name: string }[]>>();

/** Logs the rules of `server` that match none of its listed tools, once per config and tool list (not per user). */
export function warnUnmatchedRules(
  server: ServerConfig,
  tools: readonly { name: string }[],
  logger: { warn(obj: object, msg: string): void },
): void {
  const access = toolAccessFor(server);
  if (access.open && !server.tools) return;
  let lists = warned.get(server);
  if (!lists) warned.set(server, (lists = new WeakSet()));
  if (lists.has(tools)) return;
  lists.add(tools);
  for (const rule of access.unmatched(tools.map((t) => t.name))) {
    logger.warn({ server: rule.serverName, field: rule.field, pattern: rule.pattern }, describeUnmatched(rule));
  }
}
