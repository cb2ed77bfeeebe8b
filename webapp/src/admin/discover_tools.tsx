import React, { useEffect, useRef, useState } from 'react';
import { discoverServerTools, type DiscoveredServer } from '../shared/api';
import { errorMessage, openAuthURL } from '../shared/client';
import type { ServerSettings } from './config_model';
import {
  POLICIES,
  estimateTokens,
  hiddenBy,
  unmatchedPatterns,
  type Hidden,
  type Policy,
  type ToolRules,
} from './tool_rules';

type State =
  | { readonly phase: 'idle' }
  | { readonly phase: 'loading' }
  | { readonly phase: 'done'; readonly result: DiscoveredServer }
  | { readonly phase: 'failed'; readonly message: string };

interface Props {
  readonly server: ServerSettings;
  /** Discovery needs a server the sidecar would accept. */
  readonly blockedReason?: string;
  readonly disabled?: boolean;
  /** The server's tool switches and patterns: the list shows what they hide, and its switches edit them. */
  readonly rules: ToolRules;
  onRulesChange(rules: ToolRules): void;
}

/** Connects to the server as it stands in the form (saved or not) and shows what it offers. */
export function DiscoverTools({ server, blockedReason, disabled, rules, onRulesChange }: Props) {
  const [state, setState] = useState<State>({ phase: 'idle' });
  // Switches and patterns change what the list shows, not what the server lists: they keep the result.
  const { tools: _tools, allow: _allow, deny: _deny, ...connection } = server;
  const fingerprint = JSON.stringify(connection);
  const current = useRef(fingerprint);

  // An edit makes the last result stale.
  useEffect(() => {
    current.current = fingerprint;
    setState({ phase: 'idle' });
  }, [fingerprint]);

  const discover = async () => {
    const asked = fingerprint;
    setState({ phase: 'loading' });
    try {
      const result = await discoverServerTools(server);
      if (current.current === asked) setState({ phase: 'done', result });
    } catch (error) {
      if (current.current === asked) setState({ phase: 'failed', message: errorMessage(error) });
    }
  };

  return (
    <div className="mcp-discover" aria-live="polite">
      <div className="mcp-discover__bar">
        <button
          type="button"
          className="mcp-btn mcp-btn--secondary"
          disabled={disabled || Boolean(blockedReason) || state.phase === 'loading'}
          onClick={() => void discover()}
        >
          {state.phase === 'loading' ? 'Discovering…' : 'Discover tools'}
        </button>
        {blockedReason && <span className="mcp-help">{blockedReason}</span>}
      </div>
      {state.phase === 'failed' && (
        <div className="mcp-callout mcp-callout--error">Could not discover tools: {state.message}</div>
      )}
      {state.phase === 'done' && (
        <DiscoveryResult result={state.result} rules={rules} disabled={disabled} onRulesChange={onRulesChange} />
      )}
    </div>
  );
}

interface ResultProps {
  readonly result: DiscoveredServer;
  readonly rules: ToolRules;
  readonly disabled?: boolean;
  onRulesChange(rules: ToolRules): void;
}

function hiddenText(hidden: Hidden): string {
  switch (hidden.kind) {
    case 'disabled':
      return 'Switched off';
    case 'denied':
      return `Hidden by deny pattern ${hidden.pattern}`;
    case 'not_allowed':
      return 'Hidden: no allow pattern matches';
  }
}

function DiscoveryResult({ result, rules, disabled, onRulesChange }: ResultProps) {
  if (result.needsOAuth) {
    return (
      <div className="mcp-callout mcp-callout--warning">
        <strong>Needs OAuth</strong>: connect your own account to list this server's tools. Each user connects
        separately.
        <button
          type="button"
          className="mcp-btn mcp-btn--primary"
          disabled={!result.oauthURL}
          onClick={() => result.oauthURL && openAuthURL(result.oauthURL)}
        >
          Connect account
        </button>
      </div>
    );
  }
  if (result.error)
    return <div className="mcp-callout mcp-callout--error">Could not discover tools: {result.error}</div>;
  if (result.tools.length === 0) return <div className="mcp-callout">The server offers no tools.</div>;
  const setTool = (name: string, patch: { enabled?: boolean; policy?: Policy }) => {
    const next = { ...rules.tools[name], ...patch };
    if (next.enabled === true && !rules.allow?.length) delete next.enabled; // on is the default without an allow list
    if (next.policy === undefined) delete next.policy;
    onRulesChange({ ...rules, tools: { ...rules.tools, [name]: next } });
  };
  const rows = result.tools.map((tool) => ({ tool, hidden: hiddenBy(rules, tool.name) }));
  const reaching = rows.filter((r) => !r.hidden);
  const tokens = reaching.reduce((sum, r) => sum + estimateTokens(result.name, r.tool), 0);
  const warnings = unmatchedPatterns(
    rules,
    result.tools.map((t) => t.name),
  );
  return (
    <div className="mcp-callout mcp-callout--success">
      <div className="mcp-discover__count">
        {`${reaching.length} of ${result.tools.length === 1 ? '1 tool reaches' : `${result.tools.length} tools reach`} the AI bot, about ${tokens.toLocaleString('en-US')} tokens of definitions per user (an estimate: JSON length / 4)`}
      </div>
      {warnings.map((w) => (
        <div key={w} className="mcp-field-error" role="status">{`${w} matches none of these tools.`}</div>
      ))}
      <ul className="mcp-tool-list" aria-label={`Tools on ${result.name}`}>
        {rows.map(({ tool, hidden }) => (
          <li key={tool.name} className={hidden ? 'mcp-tool-list__hidden' : undefined}>
            <input
              type="checkbox"
              role="switch"
              className="mcp-toggle__input"
              aria-label={`${tool.name} reaches the AI bot`}
              disabled={disabled || hidden?.kind === 'denied'}
              checked={!hidden}
              onChange={(event) => setTool(tool.name, { enabled: event.target.checked })}
            />
            <code>{tool.name}</code>
            {hidden && <span className="mcp-badge">{hiddenText(hidden)}</span>}
            {tool.description && <span className="mcp-tool-list__description">{tool.description}</span>}
            <select
              aria-label={`Policy for ${tool.name}`}
              className="mcp-tool-list__policy"
              disabled={disabled}
              value={rules.tools[tool.name]?.policy ?? ''}
              onChange={(event) =>
                setTool(tool.name, { policy: (event.target.value || undefined) as Policy | undefined })
              }
            >
              <option value="">Agents default</option>
              {POLICIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </li>
        ))}
      </ul>
    </div>
  );
}
