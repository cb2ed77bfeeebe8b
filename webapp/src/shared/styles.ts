/**
 * The plugin's styles, built on Mattermost's theme variables so both light and dark themes work.
 * Injected once as a <style> element; every class starts with `mcp-`.
 */
const FG = 'var(--center-channel-color-rgb, 63, 67, 80)';
const BUTTON = 'var(--button-bg-rgb, 28, 88, 217)';
const ERROR = 'var(--error-text-color-rgb, 210, 75, 78)';
const ONLINE = 'var(--online-indicator-rgb, 6, 214, 160)';
const AWAY = 'var(--away-indicator-rgb, 255, 188, 31)';

export const CSS = `
.mcp-root { color: var(--center-channel-color, #3f4350); font-size: 14px; line-height: 20px; }
.mcp-root *, .mcp-root *::before, .mcp-root *::after { box-sizing: border-box; }
.mcp-visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); border: 0; white-space: nowrap; }
.mcp-config { max-width: 880px; }
.mcp-section-title { margin: 24px 0 8px; font-size: 16px; font-weight: 600; }
.mcp-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 0 24px; }
.mcp-field { margin: 12px 0; min-width: 0; }
.mcp-label { display: block; margin-bottom: 4px; font-weight: 600; }
.mcp-help { color: rgba(${FG}, 0.72); font-size: 12px; line-height: 16px; margin-top: 4px; }
.mcp-input-row { display: flex; gap: 8px; align-items: center; }
.mcp-input { flex: 1; min-width: 0; height: 36px; padding: 0 12px; border-radius: 4px; font: inherit;
  color: var(--center-channel-color, #3f4350); background: var(--center-channel-bg, #fff);
  border: 1px solid rgba(${FG}, 0.16); box-shadow: none; outline: none; }
.mcp-input:hover { border-color: rgba(${FG}, 0.48); }
.mcp-input:focus { border-color: rgb(${BUTTON}); box-shadow: inset 0 0 0 1px rgb(${BUTTON}); }
.mcp-input--invalid, .mcp-input--invalid:hover { border-color: rgb(${ERROR}); box-shadow: inset 0 0 0 1px rgb(${ERROR}); }
.mcp-input--readonly { background: rgba(${FG}, 0.04); }
.mcp-input:disabled { opacity: 0.64; }
.mcp-field-error { color: rgb(${ERROR}); font-size: 12px; line-height: 16px; margin-top: 4px; }
.mcp-btn { display: inline-flex; align-items: center; gap: 6px; height: 32px; padding: 0 16px; border-radius: 4px; border: 0;
  font: inherit; font-size: 12px; font-weight: 600; cursor: pointer; white-space: nowrap; }
.mcp-btn:disabled { opacity: 0.48; cursor: not-allowed; }
.mcp-btn:focus-visible { outline: 2px solid rgb(${BUTTON}); outline-offset: 2px; }
.mcp-btn--primary { background: rgb(${BUTTON}); color: var(--button-color, #fff); }
.mcp-btn--primary:hover:not(:disabled) { background: linear-gradient(rgba(0,0,0,0.08), rgba(0,0,0,0.08)), rgb(${BUTTON}); }
.mcp-btn--secondary { background: rgba(${BUTTON}, 0.08); color: rgb(${BUTTON}); border: 1px solid rgb(${BUTTON}); }
.mcp-btn--secondary:hover:not(:disabled) { background: rgba(${BUTTON}, 0.16); }
.mcp-btn--tertiary { background: rgba(${BUTTON}, 0.08); color: rgb(${BUTTON}); }
.mcp-btn--tertiary:hover:not(:disabled) { background: rgba(${BUTTON}, 0.16); }
.mcp-btn--danger { color: rgb(${ERROR}); background: rgba(${ERROR}, 0.08); }
.mcp-btn--danger:hover:not(:disabled) { background: rgba(${ERROR}, 0.16); }
.mcp-toggle { display: grid; grid-template-columns: auto 1fr; align-items: center; column-gap: 10px; }
.mcp-toggle__help { grid-column: 2; margin-top: 0; }
.mcp-toggle__label { font-weight: 600; cursor: pointer; margin: 0; }
.mcp-toggle__input { appearance: none; -webkit-appearance: none; position: relative; width: 32px; height: 18px; margin: 0; border-radius: 9px;
  background: rgba(${FG}, 0.24); cursor: pointer; transition: background 0.15s; }
.mcp-toggle__input::after { content: ''; position: absolute; top: 2px; left: 2px; width: 14px; height: 14px; border-radius: 50%;
  background: var(--center-channel-bg, #fff); transition: transform 0.15s; box-shadow: 0 1px 2px rgba(0,0,0,0.2); }
.mcp-toggle__input:checked { background: rgb(${BUTTON}); }
.mcp-toggle__input:checked::after { transform: translateX(14px); }
.mcp-toggle__input:focus-visible { outline: 2px solid rgb(${BUTTON}); outline-offset: 2px; }
.mcp-toggle__input:disabled { opacity: 0.48; cursor: not-allowed; }
.mcp-server { margin: 12px 0 16px; padding: 16px 20px; border: 1px solid rgba(${FG}, 0.16); border-radius: 8px;
  background: var(--center-channel-bg, #fff); box-shadow: 0 2px 3px rgba(0,0,0,0.08); }
.mcp-server--disabled { background: rgba(${FG}, 0.02); }
.mcp-server__header { display: flex; align-items: center; gap: 10px; padding-bottom: 8px; border-bottom: 1px solid rgba(${FG}, 0.08); }
.mcp-server__title { margin: 0; font-size: 16px; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.mcp-server__remove { margin-left: auto; }
.mcp-avatar { display: inline-flex; flex: none; align-items: center; justify-content: center; width: 28px; height: 28px; border-radius: 6px;
  background: rgba(${BUTTON}, 0.12); color: rgb(${BUTTON}); font-weight: 700; }
.mcp-badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 10px; font-weight: 700; line-height: 16px;
  text-transform: uppercase; letter-spacing: 0.02em; background: rgba(${FG}, 0.08); color: rgba(${FG}, 0.72); white-space: nowrap; }
.mcp-oauth__summary .mcp-badge { margin-left: 8px; }
.mcp-badge--success { background: rgba(${ONLINE}, 0.16); color: var(--center-channel-color, #3f4350); }
.mcp-badge--warning { background: rgba(${AWAY}, 0.24); color: var(--center-channel-color, #3f4350); }
.mcp-badge--error { background: rgba(${ERROR}, 0.12); color: rgb(${ERROR}); }
.mcp-headers { margin: 12px 0; }
.mcp-header-row { display: grid; grid-template-columns: minmax(140px, 2fr) minmax(160px, 3fr) auto; gap: 8px; align-items: start; }
.mcp-header-row .mcp-field { margin: 4px 0; }
.mcp-header-row > .mcp-btn { margin-top: 6px; }
.mcp-headers > .mcp-btn { margin-top: 6px; }
.mcp-oauth { margin: 12px 0; padding: 8px 12px; border-radius: 4px; background: rgba(${FG}, 0.04); }
.mcp-oauth__summary { cursor: pointer; font-weight: 600; }
.mcp-fieldset { border: 0; margin: 12px 0; padding: 0; min-width: 0; }
.mcp-radio { display: flex; align-items: center; gap: 8px; margin: 4px 0; font-weight: normal; cursor: pointer; }
.mcp-radio input { margin: 0; accent-color: rgb(${BUTTON}); }
.mcp-discover { margin-top: 12px; padding-top: 12px; border-top: 1px solid rgba(${FG}, 0.08); }
.mcp-discover__bar { display: flex; align-items: center; gap: 12px; }
.mcp-discover__count { font-weight: 600; margin-bottom: 4px; }
.mcp-callout { margin: 12px 0; padding: 10px 12px; border-radius: 4px; background: rgba(${FG}, 0.04); border-left: 3px solid rgba(${FG}, 0.32); }
.mcp-callout .mcp-btn { margin-left: 12px; }
.mcp-callout--error { background: rgba(${ERROR}, 0.08); border-left-color: rgb(${ERROR}); }
.mcp-callout--warning { background: rgba(${AWAY}, 0.12); border-left-color: rgb(${AWAY}); }
.mcp-callout--success { background: rgba(${ONLINE}, 0.08); border-left-color: rgb(${ONLINE}); }
.mcp-connect-notices { position: fixed; right: 24px; bottom: 24px; z-index: 1000; width: 380px; max-width: calc(100vw - 48px); }
.mcp-connect-notice { display: flex; flex-direction: column; gap: 8px; background: var(--center-channel-bg, #fff); box-shadow: 0 8px 24px rgba(0,0,0,0.12); }
.mcp-connect-notice__actions { display: flex; gap: 8px; }
.mcp-connect-notice .mcp-btn { margin-left: 0; }
.mcp-tool-list { margin: 4px 0 0; padding: 0; list-style: none; }
.mcp-tool-list li { padding: 2px 0; }
.mcp-discover .mcp-tool-list li { display: flex; align-items: center; flex-wrap: wrap; gap: 6px; padding: 4px 0; }
.mcp-discover .mcp-tool-list .mcp-tool-list__description { margin-left: 0; flex: 1 1 200px; }
.mcp-tool-list__hidden code { text-decoration: line-through; opacity: 0.64; }
.mcp-tool-list__policy { margin-left: auto; font-size: 12px; padding: 1px 4px; border-radius: 4px; border: 1px solid rgba(${FG}, 0.16); background: transparent; color: inherit; }
.mcp-tool-list code { padding: 1px 4px; border-radius: 3px; background: rgba(${FG}, 0.08); color: inherit; font-size: 12px; }
.mcp-tool-list__description { margin-left: 8px; color: rgba(${FG}, 0.72); font-size: 12px; }
.mcp-empty { padding: 16px; text-align: center; color: rgba(${FG}, 0.64); border: 1px dashed rgba(${FG}, 0.16); border-radius: 8px; margin: 12px 0; }
.mcp-panel { padding: 12px 16px; }
.mcp-panel__intro { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.mcp-panel__intro .mcp-help { margin: 0; font-size: 13px; }
.mcp-server-list { list-style: none; margin: 12px 0 0; padding: 0; }
.mcp-server-row { padding: 12px; margin-bottom: 8px; border: 1px solid rgba(${FG}, 0.16); border-radius: 8px; background: var(--center-channel-bg, #fff); }
.mcp-server-row__main { display: flex; align-items: center; gap: 10px; }
.mcp-server-row__text { flex: 1; min-width: 0; }
.mcp-server-row__name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.mcp-server-row__origin { color: rgba(${FG}, 0.64); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.mcp-server-row__detail { display: flex; align-items: center; justify-content: space-between; gap: 12px; margin-top: 10px; padding-left: 38px; }
.mcp-server-row__error { display: block; color: rgb(${ERROR}); font-size: 12px; line-height: 16px; overflow-wrap: anywhere; }
.mcp-server-row__tools summary { cursor: pointer; font-size: 12px; font-weight: 600; color: rgba(${FG}, 0.72); }
.mcp-header-icon { display: inline-flex; align-items: center; }
`;

const STYLE_ID = 'mattermost-mcp-styles';

export function injectStyles(): () => void {
  if (!document.getElementById(STYLE_ID)) {
    const style = document.createElement('style');
    style.id = STYLE_ID;
    style.textContent = CSS;
    document.head.appendChild(style);
  }
  return () => document.getElementById(STYLE_ID)?.remove();
}
