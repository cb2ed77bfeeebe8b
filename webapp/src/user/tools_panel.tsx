import React, { useState } from 'react';
import { disconnectServer, setServerEnabledForMe, type UserServer } from '../shared/api';
import { errorMessage, openAuthURL } from '../shared/client';
import { useUserServers } from './use_user_servers';

/**
 * The user's view of every enabled MCP server (right-hand sidebar): what is connected, what needs
 * their account, and what is failing and why.
 */
export function ToolsPanel() {
  const { servers, error, loading, reload } = useUserServers();
  return (
    <div className="mcp-root mcp-panel">
      <div className="mcp-panel__intro">
        <p className="mcp-help">The AI bot can use these tools on your behalf.</p>
        <button type="button" className="mcp-btn mcp-btn--tertiary" onClick={reload} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {error && (
        <div className="mcp-callout mcp-callout--error" role="alert">
          Could not load your MCP servers: {error}
        </div>
      )}
      {!servers && loading && <div className="mcp-empty">Loading MCP servers…</div>}
      {servers && servers.length === 0 && (
        <div className="mcp-empty">No MCP servers are enabled. A system admin can add them in the System Console.</div>
      )}
      {servers && servers.length > 0 && (
        <ul className="mcp-server-list" aria-label="MCP servers">
          {servers.map((server) => (
            <ServerRow key={server.name} server={server} onChanged={reload} />
          ))}
        </ul>
      )}
    </div>
  );
}

function ServerRow({ server, onChanged }: { server: UserServer; onChanged(): void }) {
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string>();
  const act = async (what: string, action: () => Promise<void>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await action();
      onChanged();
    } catch (e) {
      setActionError(`Could not ${what}: ${errorMessage(e)}`);
    } finally {
      setBusy(false);
    }
  };
  const on = server.status !== 'switched_off';
  return (
    <li className="mcp-server-row" aria-label={server.name}>
      <div className="mcp-server-row__main">
        <span className="mcp-avatar" aria-hidden="true">
          {server.name.charAt(0).toUpperCase()}
        </span>
        <div className="mcp-server-row__text">
          <div className="mcp-server-row__name">{server.name}</div>
          <div className="mcp-server-row__origin">{server.serverOrigin}</div>
        </div>
        <StatusBadge server={server} />
        <input
          type="checkbox"
          role="switch"
          className="mcp-toggle__input"
          checked={on}
          disabled={busy}
          aria-label={`Use ${server.name}`}
          title={on ? 'On for you: switch off to keep its tools from the AI bot' : 'Switched off for you'}
          onChange={(event) =>
            void act(event.target.checked ? 'switch it on' : 'switch it off', () =>
              setServerEnabledForMe(server.name, event.target.checked),
            )
          }
        />
      </div>
      <ServerDetail
        server={server}
        busy={busy}
        onDisconnect={() => void act('disconnect', () => disconnectServer(server.name))}
      />
      {actionError && <div className="mcp-field-error">{actionError}</div>}
    </li>
  );
}

function StatusBadge({ server }: { server: UserServer }) {
  switch (server.status) {
    case 'connected':
      return <span className="mcp-badge mcp-badge--success">Connected</span>;
    case 'needs_oauth':
      return <span className="mcp-badge mcp-badge--warning">Not connected</span>;
    case 'connecting':
      return <span className="mcp-badge">Connecting…</span>;
    case 'switched_off':
      return <span className="mcp-badge">Switched off</span>;
    default:
      return <span className="mcp-badge mcp-badge--error">Error</span>;
  }
}

function ServerDetail({ server, busy, onDisconnect }: { server: UserServer; busy: boolean; onDisconnect(): void }) {
  if (server.status === 'needs_oauth') {
    return (
      <div className="mcp-server-row__detail">
        <span className="mcp-help">Connect your {server.name} account so the AI bot can use its tools for you.</span>
        <button
          type="button"
          className="mcp-btn mcp-btn--primary"
          disabled={!server.authURL}
          aria-label={`Connect ${server.name}`}
          onClick={() => server.authURL && openAuthURL(server.authURL)}
        >
          Connect
        </button>
      </div>
    );
  }
  if (server.status === 'error') {
    return (
      <div className="mcp-server-row__detail mcp-server-row__error">
        {server.error ?? 'The server could not be reached.'}
      </div>
    );
  }
  if (server.status === 'switched_off') {
    return (
      <div className="mcp-server-row__detail">
        <span className="mcp-help">
          Switched off by you: the AI bot gets none of its tools, and nothing connects to it for you.
        </span>
      </div>
    );
  }
  if (server.status === 'connecting') return null;
  const count = server.tools.length;
  return (
    <div className="mcp-server-row__detail">
      <details className="mcp-server-row__tools">
        <summary>{count === 1 ? '1 tool' : `${count} tools`}</summary>
        <ul className="mcp-tool-list">
          {server.tools.map((tool) => (
            <li key={tool.name}>
              <code>{tool.name}</code>
              {tool.description && <span className="mcp-tool-list__description">{tool.description}</span>}
            </li>
          ))}
        </ul>
      </details>
      {/* Go plugin contract: needsOAuth together with authenticated means "connected through OAuth". */}
      {server.needsOAuth && server.authenticated && (
        <button
          type="button"
          className="mcp-btn mcp-btn--secondary"
          disabled={busy}
          aria-label={`Disconnect ${server.name}`}
          onClick={onDisconnect}
        >
          {busy ? 'Disconnecting…' : 'Disconnect'}
        </button>
      )}
    </div>
  );
}
