/**
 * The sorts of failure, each answered with one HTTP status (`STATUS_BY_CATEGORY` in server/http/errors.ts); the set
 * is the statuses the sidecar answers with, named for what they mean.
 */
export const ERROR_CATEGORIES = [
  'invalid_input', // the request itself is wrong: a field, a body, a redirect that belongs to no flow
  'unauthenticated', // the caller is not known: no user, no sidecar secret
  'forbidden', // the caller may not do this, or must connect their account first
  'not_found', // no such tool, server or route
  'internal', // the plugin's own fault: the caller gets no details, the log does
  'upstream', // an MCP server or authorization server failed or answered wrongly
  'unavailable', // something needed (a server, the store, Mattermost) is down for now: the same request may work later
  'timeout', // an MCP server did not answer in time
] as const;

export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/**
 * The root of every error the plugin throws on purpose, whatever its folder. `code` is stable (`ERR_…`: clients,
 * specs and logs switch on it); `category` is what the HTTP layer answers it as (named so as not to clash with the
 * `kind` of a metadata document or a store record that some errors carry). Messages say what to do and never hold
 * tokens, secrets or record values; values a protocol defines (an RFC 6749 `error`) go in fields of their own.
 */
export abstract class PluginError extends Error {
  abstract readonly code: string;
  abstract readonly category: ErrorCategory;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
