import React from 'react';
import { TextField } from '../shared/fields';
import { newKey, type HeaderRow } from './config_model';
import type { Issues } from './validate';

interface Props {
  readonly rows: readonly HeaderRow[];
  onChange(rows: HeaderRow[]): void;
  readonly issues: Issues;
  readonly disabled?: boolean;
}

/** Admin headers sent to the server with every request (API keys): values are masked. */
export function HeadersEditor({ rows, onChange, issues, disabled }: Props) {
  const update = (key: string, patch: Partial<HeaderRow>) =>
    onChange(rows.map((row) => (row.key === key ? { ...row, ...patch } : row)));
  return (
    <div className="mcp-headers" role="group" aria-label="Headers">
      <div className="mcp-label">Headers</div>
      <div className="mcp-help">
        Sent with every request to this server, e.g. an API key. Every request also carries X-Mattermost-UserID with the
        requesting user's id, which cannot be overridden.
      </div>
      {rows.map((row, index) => (
        <div key={row.key} className="mcp-header-row">
          <TextField
            className="mcp-header-row__name"
            label={`Header ${index + 1} name`}
            hideLabel
            placeholder="Header name"
            value={row.name}
            error={issues.get(`${row.key}.name`)}
            disabled={disabled}
            onChange={(name) => update(row.key, { name })}
          />
          <TextField
            className="mcp-header-row__value"
            label={`Header ${index + 1} value`}
            hideLabel
            placeholder="Value"
            masked
            value={row.value}
            error={issues.get(`${row.key}.value`)}
            disabled={disabled}
            onChange={(value) => update(row.key, { value })}
          />
          <button
            type="button"
            className="mcp-btn mcp-btn--tertiary mcp-btn--danger"
            aria-label={`Remove header ${index + 1}`}
            disabled={disabled}
            onClick={() => onChange(rows.filter((r) => r.key !== row.key))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="mcp-btn mcp-btn--secondary"
        disabled={disabled}
        onClick={() => onChange([...rows, { key: newKey('header'), name: '', value: '' }])}
      >
        Add header
      </button>
    </div>
  );
}
