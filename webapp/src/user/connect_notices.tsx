import React, { useEffect, useState } from 'react';
import { openAuthURL } from '../shared/client';
import { subscribeConnectNeeded, subscribeConnectionUpdates } from '../shared/connection_events';

interface Notice {
  readonly serverName: string;
  readonly authURL: string;
}

const MAX_NOTICES = 3;

/**
 * "Connect <server>" notices, shown wherever the user is when a tool call of the AI bot needed their
 * account (the call has no channel for an ephemeral post). Gone once connected or dismissed.
 */
export function ConnectNotices() {
  const [notices, setNotices] = useState<readonly Notice[]>([]);
  const remove = (serverName: string) => setNotices((current) => current.filter((n) => n.serverName !== serverName));

  useEffect(() => {
    const offNeeded = subscribeConnectNeeded(({ serverName, authURL }) => {
      if (!serverName || !authURL) return;
      setNotices((current) =>
        [{ serverName, authURL }, ...current.filter((n) => n.serverName !== serverName)].slice(0, MAX_NOTICES),
      );
    });
    const offUpdates = subscribeConnectionUpdates(({ status, serverName }) => {
      if (status === 'connected' && serverName) remove(serverName);
    });
    return () => {
      offNeeded();
      offUpdates();
    };
  }, []);

  if (notices.length === 0) return null;
  return (
    <div className="mcp-root mcp-connect-notices">
      {notices.map((notice) => (
        <div
          key={notice.serverName}
          className="mcp-callout mcp-callout--warning mcp-connect-notice"
          role="status"
          aria-label={`${notice.serverName} needs your account`}
        >
          <span>
            The AI bot needs your <strong>{notice.serverName}</strong> account to use its tools.
          </span>
          <span className="mcp-connect-notice__actions">
            <button
              type="button"
              className="mcp-btn mcp-btn--primary"
              onClick={() => {
                if (openAuthURL(notice.authURL)) remove(notice.serverName);
              }}
            >
              {`Connect ${notice.serverName}`}
            </button>
            <button
              type="button"
              className="mcp-btn mcp-btn--tertiary"
              aria-label={`Dismiss ${notice.serverName}`}
              onClick={() => remove(notice.serverName)}
            >
              Dismiss
            </button>
          </span>
        </div>
      ))}
    </div>
  );
}
