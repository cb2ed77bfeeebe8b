import type React from 'react';

/**
 * The parts of Mattermost's webapp plugin registry this plugin uses
 * (developers.mattermost.com/extend/plugins/webapp/reference).
 */
export interface PluginRegistry {
  registerAdminConsoleCustomSetting(
    key: string,
    component: React.ComponentType<CustomSettingProps>,
    options?: { showTitle?: boolean },
  ): void;
  registerRightHandSidebarComponent(component: React.ComponentType, title: React.ReactNode): RightHandSidebarActions;
  registerChannelHeaderButtonAction(
    icon: React.ReactNode,
    action: () => void,
    dropdownText: string,
    tooltipText?: string,
  ): string;
  /** Renders a component at the app's root, on every page; returns its registration id. */
  registerRootComponent(component: React.ComponentType): string;
  registerWebSocketEventHandler<T = unknown>(event: string, handler: (message: WebSocketMessage<T>) => void): void;
  unregisterWebSocketEventHandler?(event: string): void;
}

/** Redux actions to dispatch; opaque to the plugin. */
export interface RightHandSidebarActions {
  readonly id: string;
  readonly showRHSPlugin: unknown;
  readonly hideRHSPlugin: unknown;
  readonly toggleRHSPlugin: unknown;
}

export interface WebSocketMessage<T = unknown> {
  readonly event: string;
  readonly data: T;
}

/** The host's Redux store: only `dispatch` and the client config are read. */
export interface HostStore {
  dispatch(action: unknown): unknown;
  getState(): { entities?: { general?: { config?: { SiteURL?: string } } } };
}

/** Props the System Console passes to a `custom` plugin setting (admin_console/custom_plugin_settings). */
export interface CustomSettingProps {
  /** `PluginSettings.Plugins.<plugin id>.<key lower-cased>`: pass it back to onChange. */
  readonly id: string;
  readonly label?: string;
  readonly helpText?: React.ReactNode;
  /** The stored value: the Config object, or a string holding its JSON. */
  readonly value: unknown;
  readonly disabled?: boolean;
  readonly setByEnv?: boolean;
  /** The whole server config the console edits (admin only). */
  readonly config?: { ServiceSettings?: { SiteURL?: string } };
  onChange(id: string, value: unknown): void;
  setSaveNeeded(): void;
}
