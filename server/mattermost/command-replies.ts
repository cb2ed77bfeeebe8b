import { describeTokens, toolBudget } from '../mcp/index.js';
import type { ServerState } from '../mcp/index.js';
import { absoluteURL, bold, code, escapeMarkdown, link, plain } from './markdown.js';

/** The Markdown texts of `/mcp`. Server names, tool descriptions and error reasons are escaped. */

const ICON: Record<ServerState['status'], string> = {
  connected: '✅',
  needs_oauth: '🔑',
  error: '⚠️',
  connecting: '⏳',
  switched_off: '⏸️',
};

export const MCP_DISABLED =
  'MCP is disabled on this Mattermost server. A system admin can enable it in the plugin settings in the System Console.';
export const NO_SERVERS =
  'No MCP servers are configured. A system admin can add them in the plugin settings in the System Console.';

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** `/mcp <verb> <name>`, quoting a name that has spaces so it can be typed back. */
export function commandFor(verb: string, serverName: string): string {
  return code(`/mcp ${verb} ${/\s/.test(serverName) ? `"${serverName}"` : serverName}`);
}

export function helpText(): string {
  return [
    '#### `/mcp`: your MCP servers',
    '- `/mcp status`: which MCP servers you are connected to',
    '- `/mcp tools`: the tools the AI bot can use for you',
    '- `/mcp connect <server>`: connect your account to a server',
    '- `/mcp disconnect <server>`: remove your stored connection to a server',
    '- `/mcp disable <server>`: switch a server off for yourself (the AI bot gets none of its tools; nothing connects)',
    '- `/mcp enable <server>`: switch it back on',
    '- `/mcp help`: this help',
    '',
    'Put a server name with spaces in quotes: `/mcp connect "Team Wiki"`.',
  ].join('\n');
}

export function unknownSubcommandText(subcommand: string): string {
  return `Unknown subcommand ${code(subcommand)}.\n\n${helpText()}`;
}

/** The error text without the "Server <name>: " prefix the MCP layer adds (the name is already shown). */
export function reasonOf(state: ServerState): string {
  const reason = state.error ?? 'unknown error';
  const prefix = `Server ${state.serverName}: `;
  return reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
}

/** A "Connect your account" link (absolute, as posts need), or the raw URL as code when it cannot be one. */
export function connectLink(authURL: string, siteURL: string | undefined, text = 'Connect your account'): string {
  const url = absoluteURL(authURL, siteURL);
  return url ? link(text, url) : `${escapeMarkdown(text)}: ${code(authURL)}`;
}

function statusCell(state: ServerState, siteURL: string | undefined): string {
  switch (state.status) {
    case 'connected':
      return `Connected, ${plural(state.tools.length, 'tool')} (~${toolBudget(state.tools).estimatedTokens.toLocaleString('en-US')} tokens)`;
    case 'needs_oauth':
      return state.authURL
        ? `Not connected: ${connectLink(state.authURL, siteURL)}`
        : 'Not connected (no sign-in link available)';
    case 'error':
      return `Error: ${plain(reasonOf(state))}`;
    case 'connecting':
      return 'Still connecting…';
    case 'switched_off':
      return `Switched off by you: ${commandFor('enable', state.serverName)} to use it`;
  }
}

export function statusText(states: readonly ServerState[], siteURL: string | undefined): string {
  const rows = states.map((s) => `| ${ICON[s.status]} | ${bold(s.serverName)} | ${statusCell(s, siteURL)} |`);
  const count = (status: ServerState['status']) => states.filter((s) => s.status === status).length;
  const budget = toolBudget(states.flatMap((s) => s.tools));
  const summary = [
    `**${count('connected')}** of ${plural(states.length, 'server')} connected, ${plural(budget.tools, 'tool')} reach the AI bot for you, ${describeTokens(budget.estimatedTokens)}`,
  ];
  if (count('needs_oauth') > 0)
    summary.push(`${count('needs_oauth')} ${count('needs_oauth') === 1 ? 'needs' : 'need'} you to connect`);
  if (count('error') > 0) summary.push(`${count('error')} ${count('error') === 1 ? 'has an error' : 'have errors'}`);
  if (count('connecting') > 0) summary.push(`${count('connecting')} still connecting`);
  if (count('switched_off') > 0) summary.push(`${count('switched_off')} switched off by you`);
  return ['#### MCP servers', '| | Server | Status |', '|:--|:--|:--|', ...rows, '', `${summary.join('; ')}.`].join(
    '\n',
  );
}

export function toolsText(states: readonly ServerState[], siteURL: string | undefined): string {
  const sections = states.map((s) => {
    switch (s.status) {
      case 'connected': {
        if (s.tools.length === 0) return `${bold(s.serverName)}: no tools.`;
        const tools = [...s.tools].sort((a, b) => a.name.localeCompare(b.name));
        const lines = tools.map(
          (t) => `- ${code(t.name)}${t.description.trim() ? `: ${plain(t.description, 160)}` : ''}`,
        );
        return [`${bold(s.serverName)} (${plural(s.tools.length, 'tool')})`, ...lines].join('\n');
      }
      case 'needs_oauth':
        return `${bold(s.serverName)}: 🔑 ${s.authURL ? `${connectLink(s.authURL, siteURL)} to use its tools.` : 'connect your account to use its tools.'}`;
      case 'error':
        return `${bold(s.serverName)}: ⚠️ unavailable (${plain(reasonOf(s))})`;
      case 'connecting':
        return `${bold(s.serverName)}: ⏳ still connecting.`;
      case 'switched_off':
        return `${bold(s.serverName)}: ⏸️ switched off by you; ${commandFor('enable', s.serverName)} to use its tools.`;
    }
  });
  const total = states.reduce((sum, s) => sum + s.tools.length, 0);
  return ['#### Your MCP tools', ...sections, `The AI bot can use ${plural(total, 'tool')} for you.`].join('\n\n');
}

export function unknownServerText(name: string, known: readonly string[]): string {
  if (known.length === 0) return `There is no MCP server named ${bold(name)}. ${NO_SERVERS}`;
  return `There is no MCP server named ${bold(name)}. Servers: ${known.map((n) => code(n)).join(', ')}.`;
}

export function usageText(verb: 'connect' | 'disconnect' | 'enable' | 'disable', known: readonly string[]): string {
  const servers = known.length > 0 ? ` Servers: ${known.map((n) => code(n)).join(', ')}.` : ` ${NO_SERVERS}`;
  return `Usage: ${code(`/mcp ${verb} <server>`)}.${servers}`;
}

/** `/mcp connect` on a server that answers without asking the user to sign in. */
export function nothingToConnectText(state: ServerState): string {
  return `✅ ${bold(state.serverName)} needs no connection: it works without signing in, and its ${plural(state.tools.length, 'tool')} ${state.tools.length === 1 ? 'is' : 'are'} ready for you.`;
}

export function connectText(state: ServerState, siteURL: string | undefined): string {
  const name = bold(state.serverName);
  switch (state.status) {
    case 'connected':
      return `✅ ${name} is already connected for you (${plural(state.tools.length, 'tool')}): nothing to do.`;
    case 'needs_oauth':
      if (!state.authURL)
        return `🔑 ${name} needs you to connect your account, but it offered no sign-in link. Tell a system admin.`;
      return `🔑 ${connectLink(state.authURL, siteURL, `Connect your account to ${state.serverName}`)}\nThe link opens the sign-in page in your browser; afterwards ${code('/mcp status')} shows ${name} as connected.`;
    case 'error':
      return `⚠️ ${name} is unavailable: ${plain(reasonOf(state))}\nIt did not ask you to sign in, so there is nothing to connect. Tell a system admin if this persists.`;
    case 'connecting':
      return `⏳ ${name} is still connecting; run ${commandFor('connect', state.serverName)} again in a moment.`;
    case 'switched_off':
      return `⏸️ ${name} is switched off by you; run ${commandFor('enable', state.serverName)} first.`;
  }
}
