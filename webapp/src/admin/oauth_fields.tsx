import React from 'react';
import { TextField, Toggle, useFieldId } from '../shared/fields';
import { EMPTY_OAUTH, type OAuthDraft, type ResourceMode } from './config_model';

interface Props {
  readonly serverKey: string;
  readonly oauth: OAuthDraft;
  onChange(oauth: OAuthDraft): void;
  readonly issues: ReadonlyMap<string, string>;
  readonly disabled?: boolean;
}

const RESOURCE_MODES: ReadonlyArray<{ mode: ResourceMode; label: string }> = [
  { mode: 'discovered', label: "The server's own (discovered)" },
  { mode: 'override', label: 'This resource' },
  { mode: 'omit', label: "Don't send a resource" },
];

/** Per-server OAuth options for authorization servers that need more than discovery and registration. */
export function OAuthFields({ serverKey, oauth, onChange, issues, disabled }: Props) {
  const radioName = useFieldId('mcp-resource');
  const set = (patch: Partial<OAuthDraft>) => onChange({ ...oauth, ...patch });
  const configured = JSON.stringify(oauth) !== JSON.stringify(EMPTY_OAUTH);
  const issue = (field: string) => issues.get(`${serverKey}.oauth.${field}`);
  return (
    <details className="mcp-oauth" open={configured || undefined}>
      <summary className="mcp-oauth__summary">
        OAuth (optional){configured && <span className="mcp-badge">Configured</span>}
      </summary>
      <div className="mcp-help">
        Users connect their own accounts the first time a server asks for it. Leave these empty when the server supports
        automatic client registration.
      </div>
      <div className="mcp-grid">
        <TextField
          label="Client ID"
          value={oauth.clientId}
          disabled={disabled}
          onChange={(clientId) => set({ clientId })}
          help="A pre-registered OAuth application (e.g. for GitHub)."
          error={issue('clientId')}
        />
        <TextField
          label="Issuer"
          value={oauth.issuer}
          placeholder="https://github.com/login/oauth"
          disabled={disabled}
          onChange={(issuer) => set({ issuer })}
          error={issue('issuer')}
          help="The authorization server the client is registered at (its metadata's issuer): the client's credentials go there only."
        />
        <TextField
          label="Client secret"
          value={oauth.clientSecret}
          masked
          disabled={disabled}
          onChange={(clientSecret) => set({ clientSecret })}
          error={issue('clientSecret')}
        />
        <TextField
          label="Scopes"
          value={oauth.scopes}
          placeholder="read write"
          disabled={disabled}
          onChange={(scopes) => set({ scopes })}
          error={issue('scopes')}
          help="Space-separated; used when neither the server's challenge nor its metadata names any."
        />
        <TextField
          label="Audience"
          value={oauth.audience}
          disabled={disabled}
          onChange={(audience) => set({ audience })}
          help="An audience parameter, for Auth0-style servers."
        />
      </div>
      <fieldset className="mcp-fieldset" disabled={disabled}>
        <legend className="mcp-label">Resource parameter (RFC 8707)</legend>
        {RESOURCE_MODES.map(({ mode, label }) => (
          <label key={mode} className="mcp-radio">
            <input
              type="radio"
              name={radioName}
              value={mode}
              checked={oauth.resourceMode === mode}
              onChange={() => set({ resourceMode: mode })}
            />
            {label}
          </label>
        ))}
        {oauth.resourceMode === 'override' && (
          <TextField
            label="Resource"
            value={oauth.resource}
            placeholder="https://api.example.com"
            disabled={disabled}
            onChange={(resource) => set({ resource })}
            error={issue('resource')}
          />
        )}
      </fieldset>
      <Toggle
        label="Allow authorization servers that do not advertise PKCE S256"
        checked={oauth.allowMissingS256}
        disabled={disabled}
        onChange={(allowMissingS256) => set({ allowMissingS256 })}
        help="S256 is still sent. Only for servers known to support it without saying so."
      />
    </details>
  );
}
