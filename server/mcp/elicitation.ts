import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';

/** Answers an elicitation/create request; the client declares the capability only when one is given. */
export type ElicitationHandler = (params: ElicitRequest['params']) => Promise<ElicitResult>;

type Primitive = string | number | boolean | string[];

/**
 * Accepts a form elicitation with every field's schema default (SEP-1034). For non-interactive
 * callers (the conformance client, admin probes); users answer through the chat instead.
 */
export const acceptWithDefaults: ElicitationHandler = async (params) => {
  if (!('requestedSchema' in params) || !params.requestedSchema) return { action: 'decline' };
  const content: Record<string, Primitive> = {};
  for (const [name, property] of Object.entries(params.requestedSchema.properties ?? {})) {
    const fallback = (property as { default?: unknown }).default;
    if (fallback !== undefined) content[name] = fallback as Primitive;
  }
  return { action: 'accept', content };
};
