import type { UserTool } from './types.js';

/** How many tools reach the AI bot and roughly what their definitions cost in its context. */
export interface ToolBudget {
  readonly tools: number;
  /** An estimate: the length of the definitions as JSON divided by 4 (about 4 characters a token). */
  readonly estimatedTokens: number;
}

type ToolDefinition = Pick<UserTool, 'name' | 'description' | 'inputSchema'>;

/** The definition the bot hands its model (name, description, input schema), as JSON characters / 4, rounded up. */
export function estimateToolTokens(tool: ToolDefinition): number {
  return Math.ceil(
    JSON.stringify({ name: tool.name, description: tool.description, input_schema: tool.inputSchema }).length / 4,
  );
}

export function toolBudget(tools: readonly ToolDefinition[]): ToolBudget {
  return { tools: tools.length, estimatedTokens: tools.reduce((sum, tool) => sum + estimateToolTokens(tool), 0) };
}

/** "about 1,234 tokens (an estimate: JSON length / 4)". */
export function describeTokens(estimatedTokens: number): string {
  return `about ${estimatedTokens.toLocaleString('en-US')} tokens (an estimate: JSON length / 4)`;
}
