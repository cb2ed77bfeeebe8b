import { PLUGIN_ID } from './plugin-manifest';

/** The plugin id from plugin.json: part of every route (`/plugins/<id>/…`) and WebSocket event name. */
export { PLUGIN_ID };

/** Sent by the sidecar (through the shim) to one user when an MCP connection changed. */
export const CONNECTION_UPDATED_EVENT = `custom_${PLUGIN_ID}_mcp_connection_updated`;

/**
 * Sent by the sidecar (through the shim) to one user when a tool call of the AI bot needs their account on a server.
 */
export const CONNECT_NEEDED_EVENT = `custom_${PLUGIN_ID}_mcp_connect_needed`;
