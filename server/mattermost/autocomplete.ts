import type { ServerConfig } from '../config/schema.js';
import type { ServerState } from '../mcp/index.js';
import { plural, reasonOf } from './command-replies.js';
import { oneLine } from './markdown.js';

/** Mattermost's `model.AutocompleteListItem`; the Go struct has no JSON tags, so these are the JSON names. */
export interface AutocompleteListItem {
  /** What selecting the suggestion inserts. */
  readonly Item: string;
  readonly Hint: string;
  readonly HelpText: string;
}

/**
 * The dynamic list for `/mcp connect|disconnect <server>`: each enabled server with the user's
 * status as help text. Without `states` (not known yet) the status reads "checking".
 */
export function serverListItems(
  servers: readonly ServerConfig[],
  states: readonly ServerState[] | undefined,
): AutocompleteListItem[] {
  return servers
    .filter((s) => s.enabled)
    .map((server) => ({
      // A name with spaces is inserted quoted, as the command expects it.
      Item: /\s/.test(server.name) ? `"${server.name}"` : server.name,
      Hint: new URL(server.baseURL).origin,
      HelpText: helpText(states?.find((s) => s.serverName === server.name)),
    }));
}

function helpText(state: ServerState | undefined): string {
  switch (state?.status) {
    case 'connected':
      return `✅ Connected, ${plural(state.tools.length, 'tool')}`;
    case 'needs_oauth':
      return '🔑 Not connected: connect your account to use it';
    case 'error':
      return `⚠️ Error: ${oneLine(reasonOf(state), 120)}`;
    case 'switched_off':
      return '⏸️ Switched off by you';
    case 'connecting':
    case undefined:
      return '⏳ Checking…';
  }
}
