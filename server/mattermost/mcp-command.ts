import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import type { ClientManager } from '../mcp/index.js';
import { describeError } from '../mcp/index.js';
import type { ServerState } from '../mcp/index.js';
import { parseCommand, serverNameArgument } from './command-parser.js';
import {
  MCP_DISABLED,
  NO_SERVERS,
  commandFor,
  connectText,
  helpText,
  nothingToConnectText,
  statusText,
  toolsText,
  unknownServerText,
  unknownSubcommandText,
  usageText,
} from './command-replies.js';
import { agentsBridgeText } from './agents-bridge-reply.js';
import type { ConnectionActions } from './connection-actions.js';
import { bold, code, plain } from './markdown.js';
import type { AgentsBridgeStatus } from './shim-channel.js';

/** The fields of Mattermost's `model.CommandArgs` the command reads (its JSON names). */
export interface CommandArgs {
  readonly user_id: string;
  readonly channel_id?: string;
  readonly team_id?: string;
  readonly root_id?: string;
  readonly command: string;
  /** `json:"-"` in Go, so present only when the shim adds it. */
  readonly site_url?: string;
}

/** Mattermost's `model.CommandResponse`: `/mcp` answers only the user who typed it. */
export interface CommandResponse {
  readonly response_type: 'ephemeral';
  readonly text: string;
}

export interface McpCommandDeps {
  readonly manager: ClientManager;
  readonly logger: Logger;
  /** The OAuth layer's hold on stored connections (it also announces the change); absent until it exists. */
  readonly connections?: ConnectionActions;
  /** Makes plugin-relative Connect links absolute (`MCP_SITE_URL`, or `site_url` when the shim sends it). */
  readonly siteURL?: string;
  /** The shim's registration with the Agents plugin, for the status reply; absent without a shim. */
  readonly agentsBridge?: () => Promise<AgentsBridgeStatus>;
}

type Lookup =
  | { readonly kind: 'enabled'; readonly server: ServerConfig }
  | { readonly kind: 'disabled'; readonly server: ServerConfig }
  | { readonly kind: 'unknown' };

/** `/mcp status|tools|connect|disconnect|enable|disable|help` for the user in `args.user_id`. */
export class McpCommand {
  constructor(private readonly deps: McpCommandDeps) {}

  async execute(args: CommandArgs): Promise<CommandResponse> {
    const { subcommand, args: words } = parseCommand(args.command);
    const siteURL = args.site_url || this.deps.siteURL;
    try {
      return reply(await this.run(subcommand, words, args.user_id, siteURL));
    } catch (error) {
      this.deps.logger.error({ userId: args.user_id, subcommand, err: error }, '/mcp failed');
      return reply(
        `Something went wrong running ${bold(`/mcp ${subcommand}`)}: ${plain(describeError(error))}. Try again; if it persists, tell a system admin.`,
      );
    }
  }

  private async run(
    subcommand: string,
    words: readonly string[],
    userId: string,
    siteURL: string | undefined,
  ): Promise<string> {
    switch (subcommand) {
      case '':
      case 'help':
        return helpText();
      case 'status':
        return this.guarded(async () =>
          withLine(statusText(await this.states(userId), siteURL), await this.bridgeLine()),
        );
      case 'tools':
        return this.guarded(async () => toolsText(await this.states(userId), siteURL));
      case 'connect':
        return this.guarded(() => this.connect(userId, serverNameArgument(words), siteURL));
      case 'disconnect':
        return this.guarded(() => this.disconnect(userId, serverNameArgument(words)));
      case 'enable':
      case 'disable':
        return this.guarded(() => this.switchServer(userId, serverNameArgument(words), subcommand === 'disable'));
      default:
        return unknownSubcommandText(subcommand);
    }
  }

  /** Answers the "disabled" and "no servers" cases before anything connects. */
  private async guarded(fn: () => Promise<string>): Promise<string> {
    const config = this.deps.manager.currentConfig;
    if (!config.enabled) return MCP_DISABLED;
    if (!config.servers.some((s) => s.enabled)) return NO_SERVERS;
    return fn();
  }

  /** The AI bot bridge line; a failing shim makes it "unknown", never the whole reply. */
  private async bridgeLine(): Promise<string | undefined> {
    const { agentsBridge } = this.deps;
    if (!agentsBridge) return undefined;
    return agentsBridgeText(
      await agentsBridge().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
    );
  }

  private states(userId: string): Promise<ServerState[]> {
    return this.deps.manager.getServerStatesForUser(userId);
  }

  private async connect(userId: string, name: string, siteURL: string | undefined): Promise<string> {
    if (!name) return usageText('connect', this.enabledNames());
    const lookup = this.lookup(name);
    if (lookup.kind !== 'enabled') return this.notAvailable(name, lookup);
    const state = (await this.states(userId)).find((s) => s.serverName === lookup.server.name);
    if (!state) return this.notAvailable(name, { kind: 'unknown' });
    // Connected without a stored sign-in of this user's: the server asks for none.
    // (With the store unreachable it cannot tell: the connected answer is right either way.)
    if (
      state.status === 'connected' &&
      !(await this.deps.connections?.hasTokens(userId, state.serverName).catch(() => true))
    )
      return nothingToConnectText(state);
    return connectText(state, siteURL);
  }

  private async disconnect(userId: string, name: string): Promise<string> {
    if (!name) return usageText('disconnect', this.enabledNames());
    const lookup = this.lookup(name);
    if (lookup.kind !== 'enabled') return this.notAvailable(name, lookup);
    const server = lookup.server;
    const { connections } = this.deps;
    if (!connections) {
      return `There is no stored connection to ${bold(server.name)} to remove: the plugin keeps no sign-in of yours for it, and uses it with the settings a system admin configured.`;
    }
    try {
      await connections.disconnect(userId, server.name);
    } catch (error) {
      this.deps.logger.warn({ userId, server: server.name, reason: describeError(error) }, '/mcp disconnect failed');
      return `⚠️ Could not disconnect you from ${bold(server.name)}: ${plain(describeError(error))}. Try again later.`;
    }
    this.deps.manager.invalidateUser(userId, server.name);
    return `Removed your stored connection to ${bold(server.name)}. Run ${commandFor('connect', server.name)} to connect again.`;
  }

  /** `/mcp disable|enable <server>`: the user's own switch, kept in the store; nothing connects while it is off. */
  private async switchServer(userId: string, name: string, off: boolean): Promise<string> {
    const verb = off ? 'disable' : 'enable';
    if (!name) return usageText(verb, this.enabledNames());
    const lookup = this.lookup(name);
    if (lookup.kind !== 'enabled') return this.notAvailable(name, lookup);
    const server = lookup.server;
    const wasOff = (await this.deps.manager.switchedOffServers(userId)).has(server.name);
    if (wasOff === off) {
      return off
        ? `${bold(server.name)} is already switched off for you. Run ${commandFor('enable', server.name)} to switch it back on.`
        : `${bold(server.name)} is already on for you.`;
    }
    await this.deps.manager.setServerSwitchedOff(userId, server.name, off);
    return off
      ? `⏸️ Switched ${bold(server.name)} off for you: the AI bot gets none of its tools and the plugin opens no connection to it for you. Run ${commandFor('enable', server.name)} to switch it back on.`
      : `▶️ Switched ${bold(server.name)} back on for you. ${code('/mcp status')} shows whether it is connected.`;
  }

  private notAvailable(name: string, lookup: Exclude<Lookup, { kind: 'enabled' }>): string {
    if (lookup.kind === 'disabled') return `${bold(lookup.server.name)} is disabled by a system admin.`;
    return unknownServerText(name, this.enabledNames());
  }

  /** Exact name first, then case-insensitive (config names are unique case-insensitively). */
  private lookup(name: string): Lookup {
    const servers = this.deps.manager.currentConfig.servers;
    const server =
      servers.find((s) => s.name === name) ?? servers.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!server) return { kind: 'unknown' };
    return server.enabled ? { kind: 'enabled', server } : { kind: 'disabled', server };
  }

  private enabledNames(): string[] {
    return this.deps.manager.currentConfig.servers.filter((s) => s.enabled).map((s) => s.name);
  }
}

function withLine(text: string, line: string | undefined): string {
  return line ? `${text}\n${line}` : text;
}

/** Mattermost refuses posts over 16383 characters; a very long tool list is cut at a line. */
const MAX_REPLY_CHARS = 16_000;

function reply(text: string): CommandResponse {
  if (text.length <= MAX_REPLY_CHARS) return { response_type: 'ephemeral', text };
  const cut = text.lastIndexOf('\n', MAX_REPLY_CHARS - 100);
  return {
    response_type: 'ephemeral',
    text: `${text.slice(0, cut > 0 ? cut : MAX_REPLY_CHARS - 100)}\n\n… (cut: too long for one message)`,
  };
}
