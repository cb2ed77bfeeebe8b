/** The plugin id from plugin.json: part of every route (`/plugins/<id>/…`) and WebSocket event name. */
export const PLUGIN_ID = 'mattermost-mcp';

/** Sent by the sidecar (through the shim) to one user when an MCP connection changed. */
export const CONNECTION_UPDATED_EVENT = `custom_${PLUGIN_ID}_mcp_connection_updated`;
