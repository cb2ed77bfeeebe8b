/** The plugin the AI bot is: trusted when TrustedPluginIDs was never set. */
export const DEFAULT_TRUSTED_PLUGIN_IDS: readonly string[] = ['mattermost-ai'];

/** Who may call the sidecar besides users in a browser, from the plugin settings (keys lower-cased). */
export interface CallerSettings {
  /** `trustedpluginids`: plugins whose PluginHTTP requests may act for the user they name. */
  readonly trustedPluginIds: ReadonlySet<string>;
  /** `externalmcpclients`: users' own MCP clients (a personal access token through Mattermost) may use the MCP endpoint. */
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

/** Where the routes read the caller settings: the last `OnConfigurationChange` this sidecar was sent. */
export interface CallerSettingsSource {
  readonly current: CallerSettings;
}

/** The settings source the app keeps; before any push it holds the defaults (only the AI bot; no external clients). */
export class CallerSettingsHolder implements CallerSettingsSource {
  current: CallerSettings = callerSettingsFrom({});

  apply(settings: unknown): void {
    this.current = callerSettingsFrom(settings);
  }
}
