import React, { useState } from 'react';
import { TextField, Toggle } from '../shared/fields';
import { serverFromDraft, type ServerDraft } from './config_model';
import { DiscoverTools } from './discover_tools';
import { HeadersEditor } from './headers_editor';
import { OAuthFields } from './oauth_fields';
import { rulesOf, splitPatterns, withRules, type ToolRules } from './tool_rules';
import { serverIssues, type Issues } from './validate';

interface Props {
  readonly index: number;
  readonly server: ServerDraft;
  readonly issues: Issues;
  readonly disabled?: boolean;
  onChange(server: ServerDraft): void;
  onRemove(): void;
}

/** One MCP server: identity, URL, admin headers, timeouts, OAuth options and a discovery check. */
export function ServerCard({ index, server, issues, disabled, onChange, onRemove }: Props) {
  const set = (patch: Partial<ServerDraft>) => onChange({ ...server, ...patch });
  const problems = serverIssues(issues, server);
  const title = server.name.trim() || 'Unnamed server';
  const rules = rulesOf(server.extra);
  const setRules = (next: ToolRules) => set({ extra: withRules(server.extra, next) });
  return (
    <section
      className={`mcp-server ${server.enabled ? '' : 'mcp-server--disabled'}`}
      role="group"
      aria-label={`MCP server ${index + 1}`}
    >
      <header className="mcp-server__header">
        <span className="mcp-avatar" aria-hidden="true">
          {title.charAt(0).toUpperCase()}
        </span>
        <h4 className="mcp-server__title">{title}</h4>
        {!server.enabled && <span className="mcp-badge">Disabled</span>}
        {problems.length > 0 && (
          <span className="mcp-badge mcp-badge--error">
            {problems.length === 1 ? '1 problem' : `${problems.length} problems`}
          </span>
        )}
        <button
          type="button"
          className="mcp-btn mcp-btn--tertiary mcp-btn--danger mcp-server__remove"
          disabled={disabled}
          aria-label={`Remove server ${title}`}
          onClick={onRemove}
        >
          Remove
        </button>
      </header>
      <div className="mcp-grid">
        <TextField
          label="Name"
          value={server.name}
          disabled={disabled}
          error={issues.get(`${server.key}.name`)}
          help="Shown to users and prefixed to tool names; unique, compared ignoring case."
          onChange={(name) => set({ name })}
        />
        <TextField
          label="Server URL"
          type="url"
          value={server.baseURL}
          placeholder="https://mcp.example.com/mcp"
          disabled={disabled}
          error={issues.get(`${server.key}.baseURL`)}
          help="The Streamable HTTP (or SSE) endpoint."
          onChange={(baseURL) => set({ baseURL })}
        />
      </div>
      <Toggle
        label="Enabled"
        checked={server.enabled}
        disabled={disabled}
        onChange={(enabled) => set({ enabled })}
        help="A disabled server keeps its settings but offers no tools."
      />
      <HeadersEditor
        rows={server.headers}
        issues={issues}
        disabled={disabled}
        onChange={(headers) => set({ headers })}
      />
      <div className="mcp-grid">
        <TextField
          label="Connect timeout (seconds)"
          inputMode="decimal"
          value={server.connectTimeout}
          placeholder="10"
          disabled={disabled}
          error={issues.get(`${server.key}.connectTimeout`)}
          onChange={(connectTimeout) => set({ connectTimeout })}
        />
        <TextField
          label="Tool call timeout (seconds)"
          inputMode="decimal"
          value={server.toolTimeout}
          placeholder="60"
          disabled={disabled}
          error={issues.get(`${server.key}.toolTimeout`)}
          onChange={(toolTimeout) => set({ toolTimeout })}
        />
      </div>
      <OAuthFields
        serverKey={server.key}
        oauth={server.oauth}
        issues={issues}
        disabled={disabled}
        onChange={(oauth) => set({ oauth })}
      />
      <div className="mcp-grid">
        <PatternField
          label="Allow patterns"
          patterns={rules.allow ?? []}
          placeholder="read_*, search"
          disabled={disabled}
          error={issues.get(`${server.key}.allow`)}
          help="Only tools matching one reach the AI bot (and tools switched on below); empty: all. * is any run of characters, ? one."
          onChange={(allow) => setRules({ ...rules, allow })}
        />
        <PatternField
          label="Deny patterns"
          patterns={rules.deny}
          placeholder="delete_*"
          disabled={disabled}
          error={issues.get(`${server.key}.deny`)}
          help="Tools matching one never reach the AI bot; deny wins. Covers tools the server adds later."
          onChange={(deny) => setRules({ ...rules, deny })}
        />
      </div>
      <DiscoverTools
        server={serverFromDraft(server)}
        rules={rules}
        onRulesChange={setRules}
        disabled={disabled}
        blockedReason={problems.length > 0 ? 'Fix the problems above to discover tools.' : undefined}
      />
    </section>
  );
}

interface PatternFieldProps {
  readonly label: string;
  readonly patterns: readonly string[];
  readonly placeholder: string;
  readonly help: string;
  readonly error?: string;
  readonly disabled?: boolean;
  onChange(patterns: string[]): void;
}

/**
 * Patterns separated by commas or spaces; the text stays as typed (a trailing comma included) while the rules update.
 */
function PatternField({ patterns, onChange, ...field }: PatternFieldProps) {
  const [text, setText] = useState(patterns.join(', '));
  return (
    <TextField
      {...field}
      value={text}
      onChange={(next) => {
        setText(next);
        onChange(splitPatterns(next));
      }}
    />
  );
}
