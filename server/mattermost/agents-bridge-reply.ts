import { plain } from './markdown.js';
import type { AgentsBridgeStatus } from './shim-channel.js';

const LABEL = '**AI bot bridge:**';

/**
 * The `/mcp status` line about the registration with the Agents plugin, the AI bot
 * (server/shim/agents_registration.go). `undefined` when the plugin is not active; an Error when the
 * shim could not be asked.
 */
export function agentsBridgeText(status: AgentsBridgeStatus | Error | undefined): string | undefined {
  if (status === undefined) return undefined;
  if (status instanceof Error) return `${LABEL} unknown (${plain(status.message)}).`;
  const why = status.detail ? plain(status.detail) : '';
  switch (status.state) {
    case 'registered':
      return `${LABEL} registered with the Agents plugin: the AI bot sees these tools.`;
    case 'registering':
      return `${LABEL} ⏳ registering with the Agents plugin${why ? ` (last answer: ${why})` : ''}.`;
    case 'disabled':
      return `${LABEL} off: a system admin turned off “Offer the tools to the AI bot”.`;
    case 'not_installed':
      return `${LABEL} the Agents plugin is not installed, so the AI bot does not see these tools.`;
    case 'not_running':
      return `${LABEL} the Agents plugin is not running${why ? ` (${why})` : ''}, so the AI bot does not see these tools.`;
    case 'refused':
      return `${LABEL} ⚠️ the Agents plugin refused the registration${why ? `: ${why}` : ''}.`;
    case 'unreachable':
      return `${LABEL} ⚠️ the Agents plugin did not take the registration${why ? ` (${why})` : ''}; it is tried again when the Agents plugin restarts.`;
    case 'inactive':
      return undefined;
    default:
      return `${LABEL} ${plain(status.state)}${why ? ` (${why})` : ''}.`;
  }
}
