import React, { useEffect, useMemo, useRef, useState } from 'react';
import { PLUGIN_ID } from '../manifest';
import type { CustomSettingProps } from '../registry';
import { TextField, Toggle } from '../shared/fields';
import { fetchConsoleConfig } from '../shared/api';
import { errorMessage } from '../shared/client';
import { configuredSiteURL } from '../shared/site_url';
import {
  configFromDraft,
  draftFromValue,
  isMasked,
  newServerDraft,
  type ConfigDraft,
  type ServerDraft,
} from './config_model';
import { CopyField } from './copy_field';
import { ServerCard } from './server_card';
import { validateDraft } from './validate';

/** Where the draft comes from: the setting's value, or (masked by Mattermost) the sidecar's server list. */
type Source =
  { readonly phase: 'ready' } | { readonly phase: 'loading' } | { readonly phase: 'failed'; readonly message: string };

/**
 * The System Console's custom `Config` setting: the whole MCP configuration as one JSON value.
 * Every edit reports the new value through `onChange(id, value)` and marks the page unsaved.
 * Config is a secret setting, so Mattermost hands it over masked: the servers are then read from the
 * sidecar, with each saved header value and client secret masked, and a kept mask goes back as it is.
 */
export function ConfigSetting(props: CustomSettingProps) {
  const [draft, setDraft] = useState<ConfigDraft>(() =>
    draftFromValue(isMasked(props.value) ? undefined : props.value),
  );
  const [source, setSource] = useState<Source>(() =>
    isMasked(props.value) ? { phase: 'loading' } : { phase: 'ready' },
  );
  const emitted = useRef<string>(JSON.stringify(props.value ?? null));

  // A value we did not send (the page reloaded, or the admin discarded changes) replaces the draft.
  useEffect(() => {
    const incoming = JSON.stringify(props.value ?? null);
    if (incoming !== emitted.current) {
      emitted.current = incoming;
      if (isMasked(props.value)) {
        setSource({ phase: 'loading' });
      } else {
        setDraft(draftFromValue(props.value));
        setSource({ phase: 'ready' });
      }
    }
  }, [props.value]);

  useEffect(() => {
    if (source.phase !== 'loading') return undefined;
    let current = true;
    fetchConsoleConfig().then(
      (config) => {
        if (!current) return;
        setDraft(draftFromValue(config));
        setSource({ phase: 'ready' });
      },
      (error: unknown) => current && setSource({ phase: 'failed', message: errorMessage(error) }),
    );
    return () => {
      current = false;
    };
  }, [source.phase]);

  const issues = useMemo(() => validateDraft(draft), [draft]);
  const disabled = props.disabled || props.setByEnv;

  const update = (next: ConfigDraft) => {
    setDraft(next);
    const value = configFromDraft(next);
    emitted.current = JSON.stringify(value);
    props.onChange(props.id, value);
    props.setSaveNeeded();
  };
  const updateServer = (key: string, server: ServerDraft) =>
    update({ ...draft, servers: draft.servers.map((s) => (s.key === key ? server : s)) });

  const callbackURL = `${configuredSiteURL(props.config?.ServiceSettings?.SiteURL)}/plugins/${PLUGIN_ID}/oauth/callback`;

  // Until the servers are read, an edit would replace them with an empty list: nothing is editable.
  if (source.phase !== 'ready') {
    return (
      <div className="mcp-root mcp-config">
        {source.phase === 'loading' ? (
          <div className="mcp-empty">Loading the MCP servers…</div>
        ) : (
          <div className="mcp-callout mcp-callout--error" role="alert">
            Could not load the MCP servers: {source.message}
          </div>
        )}
      </div>
    );
  }

  return (
    <div className="mcp-root mcp-config">
      {props.setByEnv && (
        <div className="mcp-callout mcp-callout--warning">
          This setting is set by an environment variable and cannot be changed here.
        </div>
      )}
      <Toggle
        label="Enable MCP tools"
        checked={draft.enabled}
        disabled={disabled}
        onChange={(enabled) => update({ ...draft, enabled })}
        help="When off, the AI bot gets no MCP tools and every user's connections close."
      />
      <div className="mcp-grid">
        <TextField
          label="Idle timeout (minutes)"
          inputMode="numeric"
          value={draft.idleTimeout}
          placeholder="30"
          disabled={disabled}
          error={issues.get('idleTimeout')}
          onChange={(idleTimeout) => update({ ...draft, idleTimeout })}
          help="A user's connections close after this long without a tool call. Blank or 0 means 30."
        />
        <CopyField
          label="OAuth callback URL"
          value={callbackURL}
          help="Register this redirect URI with the OAuth applications you create for MCP servers."
        />
      </div>
      {issues.size > 0 && (
        <div className="mcp-callout mcp-callout--error" role="status">
          {issues.size === 1 ? '1 problem needs fixing' : `${issues.size} problems need fixing`} before this
          configuration can be saved.
        </div>
      )}
      <h3 className="mcp-section-title">MCP servers</h3>
      {hasMasks(draft) && (
        <div className="mcp-help">
          Saved header values and client secrets are not shown: a masked value stays as it was saved unless you type a
          new one.
        </div>
      )}
      {draft.servers.length === 0 && (
        <div className="mcp-empty">No MCP servers configured. Add a server to give the AI bot its tools.</div>
      )}
      {draft.servers.map((server, index) => (
        <ServerCard
          key={server.key}
          index={index}
          server={server}
          issues={issues}
          disabled={disabled}
          onChange={(next) => updateServer(server.key, next)}
          onRemove={() => update({ ...draft, servers: draft.servers.filter((s) => s.key !== server.key) })}
        />
      ))}
      <button
        type="button"
        className="mcp-btn mcp-btn--primary"
        disabled={disabled}
        onClick={() => update({ ...draft, servers: [...draft.servers, newServerDraft(draft.servers)] })}
      >
        Add MCP server
      </button>
    </div>
  );
}

function hasMasks(draft: ConfigDraft): boolean {
  return draft.servers.some(
    (server) => isMasked(server.oauth.clientSecret) || server.headers.some((row) => isMasked(row.value)),
  );
}
