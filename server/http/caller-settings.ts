/** The plugin the AI bot is: trusted when TrustedPluginIDs was never set. */
export const DEFAULT_TRUSTED_PLUGIN_IDS: readonly string[] = ['mattermost-ai'];

/** Who may call the sidecar besides users in a browser, from the plugin settings (keys lower-cased). */
export interface CallerSettings {
  /** `trustedpluginids`: plugins whose PluginHTTP requests may act for the user they name. */
  readonly trustedPluginIds: ReadonlySet<string>;
  /**
   * `externalmcpclients`: users' own MCP clients (a personal access token through Mattermost) may use the MCP endpoint.
   */
  readonly externalMcpClients: boolean;
}

/**
 * Reads the caller settings out of the settings `OnConfigurationChange` carries. An absent
 * `trustedpluginids` means the default (the AI bot); an empty one trusts no plugin.
 */
export function callerSettingsFrom(settings: unknown): CallerSettings {
  const record = settings !== null && typeof settings === 'object' ? (settings as Record<string, unknown>) : {};
  const ids = record.trustedpluginids;
  const trusted =
    typeof ids === 'string'
      ? ids
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== '')
      : DEFAULT_TRUSTED_PLUGIN_IDS;
  const external = record.externalmcpclients;
  return { trustedPluginIds: new Set(trusted), externalMcpClients: external === true || external === 'true' };
}

/** The keys of the plugin settings the caller settings come from: what `ConfigSync` shares with the other replicas. */
const CALLER_SETTING_KEYS = ['trustedpluginids', 'externalmcpclients'] as const;

/**
 * The caller settings' part of pushed plugin settings, as pushed (absent keys stay absent, so a replica
 * applying it reads the same defaults). Only strings and booleans are kept.
 */
export function callerSettingsPart(settings: unknown): Record<string, string | boolean> {
  const record = settings !== null && typeof settings === 'object' ? (settings as Record<string, unknown>) : {};
  const part: Record<string, string | boolean> = {};
  for (const key of CALLER_SETTING_KEYS) {
    const value = record[key];
    if (typeof value === 'string' || typeof value === 'boolean') part[key] = value;
  }
  return part;
}

/** Where the routes read the caller settings: the last `OnConfigurationChange` this sidecar was sent. */
export interface CallerSettingsSource {
  readonly current: CallerSettings;
}

/**
 * The settings source the app keeps; before any push it holds the defaults (only the AI bot; no external
 * clients). A push to this replica applies here; one to another replica arrives through `ConfigSync`.
 */
export class CallerSettingsHolder implements CallerSettingsSource {
  current: CallerSettings = callerSettingsFrom({});

  apply(settings: unknown): void {
    this.current = callerSettingsFrom(settings);
  }
}
