/** The `fetch` every layer takes and returns: one request to an MCP server, as the SDK's transports send it. */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;
