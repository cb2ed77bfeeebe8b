import { PluginError } from '../errors/plugin-error.js';

/** One problem in a submitted configuration, located by a dotted path such as `servers[1].baseURL`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * The submitted configuration was refused. The running configuration is left in place;
 * `message` names every offending field so an admin can fix it in one go.
 */
export class ConfigValidationError extends PluginError {
  readonly code = 'ERR_CONFIG_INVALID';
  readonly category = 'invalid_input';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `Invalid MCP configuration: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    );
  }
}
