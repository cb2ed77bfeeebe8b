import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export interface ToolImage {
  readonly data: string;
  readonly mimeType: string;
}

/** What the bot gets back from a tool: text for the model, images, structured output, and isError. */
export interface ToolCallResult {
  readonly text: string;
  readonly images: readonly ToolImage[];
  readonly structuredContent?: Record<string, unknown>;
  /** True when the tool reported a failure (MCP `isError`); `text` then explains it. */
  readonly isError: boolean;
  /** The server's content blocks, unchanged, for callers that render more than text and images. */
  readonly content: CallToolResult['content'];
}

/** Converts an MCP tools/call result; text and embedded text resources join with newlines. */
export function toToolCallResult(result: CallToolResult): ToolCallResult {
  const texts: string[] = [];
  const images: ToolImage[] = [];
  for (const block of result.content ?? []) {
    switch (block.type) {
      case 'text':
        texts.push(block.text);
        break;
      case 'image':
        images.push({ data: block.data, mimeType: block.mimeType });
        break;
      case 'resource':
        if ('text' in block.resource && typeof block.resource.text === 'string') texts.push(block.resource.text);
        break;
      case 'resource_link':
        texts.push(`${block.name}: ${block.uri}`);
        break;
      default:
        break;
    }
  }
  if (texts.length === 0 && result.structuredContent) texts.push(JSON.stringify(result.structuredContent));
  return {
    text: texts.join('\n'),
    images,
    ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
    isError: result.isError === true,
    content: result.content ?? [],
  };
}
