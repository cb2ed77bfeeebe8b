import React, { useRef, useState } from 'react';

let counter = 0;
/** A stable DOM id per mounted field (React 16–19; `useId` is 18+). */
export function useFieldId(prefix = 'mcp-field'): string {
  const ref = useRef<string>();
  if (!ref.current) {
    counter += 1;
    ref.current = `${prefix}-${counter}`;
  }
  return ref.current;
}

export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <div id={id} className="mcp-field-error">
      <span aria-hidden="true">⚠ </span>
      {message}
    </div>
  );
}

interface TextFieldProps {
  readonly label: string;
  readonly value: string;
  onChange(value: string): void;
  readonly help?: React.ReactNode;
  readonly error?: string;
  readonly placeholder?: string;
  readonly disabled?: boolean;
  readonly inputMode?: 'text' | 'numeric' | 'decimal' | 'url';
  readonly type?: 'text' | 'url';
  /** A secret: hidden until the admin presses Show. */
  readonly masked?: boolean;
  readonly hideLabel?: boolean;
  readonly className?: string;
}

export function TextField(props: TextFieldProps) {
  const id = useFieldId();
  const [revealed, setRevealed] = useState(false);
  const describedBy =
    [props.error ? `${id}-error` : '', props.help ? `${id}-help` : ''].filter(Boolean).join(' ') || undefined;
  const hidden = props.masked && !revealed;
  return (
    <div className={`mcp-field ${props.className ?? ''}`}>
      <label htmlFor={id} className={props.hideLabel ? 'mcp-visually-hidden' : 'mcp-label'}>
        {props.label}
      </label>
      <div className="mcp-input-row">
        <input
          id={id}
          className={`mcp-input ${props.error ? 'mcp-input--invalid' : ''}`}
          type={hidden ? 'password' : (props.type ?? 'text')}
          inputMode={props.inputMode}
          value={props.value}
          placeholder={props.placeholder}
          disabled={props.disabled}
          autoComplete={props.masked ? 'new-password' : 'off'}
          spellCheck={false}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={describedBy}
          onChange={(event) => props.onChange(event.target.value)}
        />
        {props.masked && (
          <button
            type="button"
            className="mcp-btn mcp-btn--tertiary"
            aria-label={`${revealed ? 'Hide' : 'Show'} ${props.label}`}
            aria-pressed={revealed}
            onClick={() => setRevealed(!revealed)}
          >
            {revealed ? 'Hide' : 'Show'}
          </button>
        )}
      </div>
      {props.help && (
        <div id={`${id}-help`} className="mcp-help">
          {props.help}
        </div>
      )}
      <FieldError id={`${id}-error`} message={props.error} />
    </div>
  );
}

interface ToggleProps {
  readonly label: string;
  readonly checked: boolean;
  onChange(checked: boolean): void;
  readonly help?: React.ReactNode;
  readonly disabled?: boolean;
}

/** An on/off switch: a real checkbox (keyboard and screen readers) drawn as a switch. */
export function Toggle(props: ToggleProps) {
  const id = useFieldId('mcp-toggle');
  return (
    <div className="mcp-field mcp-toggle">
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="mcp-toggle__input"
        checked={props.checked}
        disabled={props.disabled}
        aria-describedby={props.help ? `${id}-help` : undefined}
        onChange={(event) => props.onChange(event.target.checked)}
      />
      <label htmlFor={id} className="mcp-toggle__label">
        {props.label}
      </label>
      {props.help && (
        <div id={`${id}-help`} className="mcp-help mcp-toggle__help">
          {props.help}
        </div>
      )}
    </div>
  );
}
