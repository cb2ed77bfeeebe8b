import React, { useState } from 'react';
import { useFieldId } from '../shared/fields';

/** A read-only value with a Copy button (clipboard API, falling back to a selection copy on http sites). */
export function CopyField({ label, value, help }: { label: string; value: string; help?: React.ReactNode }) {
  const id = useFieldId('mcp-copy');
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const input = document.getElementById(id) as HTMLInputElement | null;
      input?.select();
      document.execCommand('copy');
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div className="mcp-field">
      <label htmlFor={id} className="mcp-label">
        {label}
      </label>
      <div className="mcp-input-row">
        <input
          id={id}
          className="mcp-input mcp-input--readonly"
          readOnly
          value={value}
          onFocus={(e) => e.target.select()}
          aria-describedby={help ? `${id}-help` : undefined}
        />
        <button
          type="button"
          className="mcp-btn mcp-btn--secondary"
          onClick={() => void copy()}
          aria-label={`Copy ${label}`}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {help && (
        <div id={`${id}-help`} className="mcp-help">
          {help}
        </div>
      )}
    </div>
  );
}
