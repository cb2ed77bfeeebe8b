import React, { useEffect, useRef, useState } from 'react';
import { discoverServerTools, type DiscoveredServer } from '../shared/api';
import { errorMessage, openAuthURL } from '../shared/client';
import type { ServerSettings } from './config_model';

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
}

/** Connects to the server as it stands in the form (saved or not) and shows what it offers. */
export function DiscoverTools({ server, blockedReason, disabled }: Props) {
  const [state, setState] = useState<State>({ phase: 'idle' });
  const fingerprint = JSON.stringify(server);
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
    <div className='mcp-discover' aria-live='polite'>
      <div className='mcp-discover__bar'>
        <button type='button' className='mcp-btn mcp-btn--secondary' disabled={disabled || Boolean(blockedReason) || state.phase === 'loading'} onClick={() => void discover()}>
          {state.phase === 'loading' ? 'Discovering…' : 'Discover tools'}
        </button>
        {blockedReason && <span className='mcp-help'>{blockedReason}</span>}
      </div>
      {state.phase === 'failed' && <div className='mcp-callout mcp-callout--error'>Could not discover tools: {state.message}</div>}
      {state.phase === 'done' && <DiscoveryResult result={state.result} />}
    </div>
  );
}

function DiscoveryResult({ result }: { result: DiscoveredServer }) {
  if (result.needsOAuth) {
    return (
      <div className='mcp-callout mcp-callout--warning'>
        <strong>Needs OAuth</strong>: connect your own account to list this server's tools. Each user connects separately.
        <button type='button' className='mcp-btn mcp-btn--primary' disabled={!result.oauthURL} onClick={() => result.oauthURL && openAuthURL(result.oauthURL)}>
          Connect account
        </button>
      </div>
    );
  }
  if (result.error) return <div className='mcp-callout mcp-callout--error'>Could not discover tools: {result.error}</div>;
  if (result.tools.length === 0) return <div className='mcp-callout'>The server offers no tools.</div>;
  return (
    <div className='mcp-callout mcp-callout--success'>
      <div className='mcp-discover__count'>{result.tools.length === 1 ? '1 tool' : `${result.tools.length} tools`}</div>
      <ul className='mcp-tool-list' aria-label={`Tools on ${result.name}`}>
        {result.tools.map((tool) => (
          <li key={tool.name}>
            <code>{tool.name}</code>
            {tool.description && <span className='mcp-tool-list__description'>{tool.description}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
