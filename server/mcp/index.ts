/**
 * The MCP client layer's face: code outside `server/mcp/` imports from here (ESLint's
 * `no-restricted-imports` holds it to that). See README.md in this folder for how a tool call travels.
 */
export { ClientManager } from './client-manager.js';
export type { UserClientsDeps } from './user-clients.js';
export { Client, DEFAULT_CONNECT_TIMEOUT_MS } from './client.js';
export {
  isAuthNeeded,
  type AuthNeeded,
  type ClientAuthHooks,
  type ServerState,
  type ToolAuthError,
  type UserTool,
} from './types.js';
export type { ToolCallResult } from './tool-result.js';
export { discoverServerTools, type DiscoverDeps, type ToolInfo } from './discover-server-tools.js';
export { acceptWithDefaults } from './elicitation.js';
export { StoredServerChoices } from './user-server-choices.js';
export { SharedSchemaValidator } from './shared-schema-validator.js';

// What the AI bot sees of a server's tools: names, access rules, token estimates.
export { baseToolName, ToolNameMap, type ToolRef } from './tool-names.js';
export { describeUnmatched, toolAccessFor, type HiddenBy } from './tool-access.js';
export { describeTokens, toolBudget, type ToolBudget } from './tool-budget.js';

export { McpClientError, ServerTimeoutError, describeError } from './errors.js';
