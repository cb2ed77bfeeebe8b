/**
 * A command-line MCP client over the project's own `Client` (and, for auth scenarios, its OAuth
 * layer): connect, list tools, call each tool with arguments built from its input schema, close.
 * `tests/conformance/client.sh <server-url>` runs it for the MCP conformance suite.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { parseConfig } from '../config/schema.js';
import { Client } from '../mcp/client.js';
import { acceptWithDefaults } from '../mcp/elicitation.js';
import { createLogger } from '../observability/logger.js';

const USER_ID = 'conformance-user';

/** A value of the schema's type: the default, the first enum member, or a small literal. */
export function sampleArguments(tool: Tool): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
    const property = schema as { type?: string; default?: unknown; enum?: unknown[] };
    if (property.default !== undefined) args[name] = property.default;
    else if (property.enum?.length) args[name] = property.enum[0];
    else if (property.type === 'number' || property.type === 'integer') args[name] = 1;
    else if (property.type === 'boolean') args[name] = true;
    else if (property.type === 'array') args[name] = [];
    else if (property.type === 'object') args[name] = {};
    else args[name] = 'test';
  }
  return args;
}

async function main(): Promise<number> {
  const url = process.argv[process.argv.length - 1];
  if (!url || !/^https?:\/\//.test(url)) {
    console.error('usage: conformance-client <server-url>');
    return 2;
  }
  const logger = createLogger({ level: (process.env.MCP_LOG_LEVEL as 'info' | undefined) ?? 'warn', destination: process.stderr as never });
  const server = parseConfig({ servers: [{ name: 'conformance', baseURL: url, connectTimeoutSeconds: 30, toolTimeoutSeconds: 30 }] }).servers[0]!;
  const client = await Client.connect({ userId: USER_ID, server, logger, onElicitation: acceptWithDefaults });
  try {
    for (const tool of client.tools) {
      const result = await client.callTool(tool.name, sampleArguments(tool));
      logger.info({ tool: tool.name, isError: result.isError }, 'called tool');
    }
  } finally {
    await client.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
