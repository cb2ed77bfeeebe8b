/**
 * The stand-in Mattermost page host-page.ts serves. Query parameters: `view=console|channel`,
 * `theme=light|dark`, `value=<Config JSON>` (the setting's stored value). `window.__mm` exposes what
 * the plugin registered and did.
 */
export const HOST_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Mattermost (test host)</title>
<style>
  :root {
    --center-channel-bg: #ffffff; --center-channel-bg-rgb: 255, 255, 255;
    --center-channel-color: #3f4350; --center-channel-color-rgb: 63, 67, 80;
    --button-bg: #1c58d9; --button-bg-rgb: 28, 88, 217; --button-color: #ffffff; --button-color-rgb: 255, 255, 255;
    --error-text: #d24b4e; --error-text-color-rgb: 210, 75, 78;
    --online-indicator: #3db887; --online-indicator-rgb: 61, 184, 135;
    --away-indicator: #ffbc1f; --away-indicator-rgb: 255, 188, 31;
    --link-color: #386fe5; --link-color-rgb: 56, 111, 229;
    --sidebar-bg: #1e325c; --sidebar-text: #ffffff;
  }
  :root.theme-dark {
    --center-channel-bg: #191b1f; --center-channel-bg-rgb: 25, 27, 31;
    --center-channel-color: #e3e4e8; --center-channel-color-rgb: 227, 228, 232;
    --button-bg: #4a7ce8; --button-bg-rgb: 74, 124, 232; --button-color: #ffffff; --button-color-rgb: 255, 255, 255;
    --error-text: #da6c6e; --error-text-color-rgb: 218, 108, 110;
    --online-indicator: #3db887; --online-indicator-rgb: 61, 184, 135;
    --away-indicator: #f5ab07; --away-indicator-rgb: 245, 171, 7;
    --link-color: #4a7ce8; --link-color-rgb: 74, 124, 232;
    --sidebar-bg: #121317; --sidebar-text: #e3e4e8;
  }
  html, body, #root { margin: 0; height: 100%; }
  body { font-family: 'Open Sans', 'Helvetica Neue', Arial, sans-serif; background: var(--center-channel-bg); color: var(--center-channel-color); }
  .host-app { display: flex; min-height: 100%; }
  .host-sidebar { width: 220px; flex: none; background: var(--sidebar-bg); color: var(--sidebar-text); padding: 16px; font-weight: 600; }
  .host-main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  .host-header { display: flex; align-items: center; gap: 8px; height: 56px; padding: 0 16px; border-bottom: 1px solid rgba(var(--center-channel-color-rgb), 0.12); }
  .host-header h1 { font-size: 16px; margin: 0 auto 0 0; }
  .host-header button { display: inline-flex; align-items: center; justify-content: center; width: 32px; height: 32px; border: 0; border-radius: 4px;
    background: transparent; color: rgba(var(--center-channel-color-rgb), 0.64); cursor: pointer; }
  .host-header button[aria-pressed="true"] { background: rgba(var(--button-bg-rgb), 0.08); color: var(--button-bg); }
  .host-body { display: flex; flex: 1; min-height: 0; }
  .host-center { flex: 1; padding: 16px 24px; overflow: auto; }
  .host-rhs { width: 400px; flex: none; border-left: 1px solid rgba(var(--center-channel-color-rgb), 0.12); overflow: auto; }
  .host-rhs h2 { margin: 0; padding: 0 16px; height: 56px; display: flex; align-items: center; font-size: 16px; border-bottom: 1px solid rgba(var(--center-channel-color-rgb), 0.12); }
  .host-console { padding: 24px 32px; flex: 1; background: rgba(var(--center-channel-color-rgb), 0.04); }
  .host-console-panel { background: var(--center-channel-bg); border-radius: 4px; padding: 24px 32px; box-shadow: 0 2px 3px rgba(0,0,0,0.08); }
  .host-console h2 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
  .host-setting { display: flex; gap: 24px; margin-top: 24px; }
  .host-setting > label { width: 200px; flex: none; font-weight: 600; }
  .host-setting > div { flex: 1; min-width: 0; }
  .host-save { margin-top: 16px; color: rgba(var(--center-channel-color-rgb), 0.64); font-size: 12px; }
</style>
<script src="/static/react.js"></script>
<script src="/static/react-dom.js"></script>
<script>
(function () {
  const params = new URLSearchParams(location.search);
  if (params.get('theme') === 'dark') document.documentElement.classList.add('theme-dark');
  const view = params.get('view') || 'channel';
  const h = React.createElement;
  const mm = window.__mm = {
    settings: {}, rhs: [], roots: [], headerButtons: [], wsHandlers: {}, dispatched: [], onChangeCalls: [], saveNeeded: 0,
    rhsOpen: false,
    value: params.has('value') ? JSON.parse(params.get('value')) : undefined,
    emitWebSocket(event, data) {
      const handler = mm.wsHandlers[event];
      if (handler) handler({ event, data, broadcast: {}, seq: Date.now() });
      return Boolean(handler);
    },
  };
  const store = {
    getState: () => ({ entities: { general: { config: { SiteURL: location.origin } } } }),
    dispatch(action) {
      mm.dispatched.push(action);
      if (action && action.type === 'TOGGLE_RHS_PLUGIN') { mm.rhsOpen = !mm.rhsOpen; render(); }
      return action;
    },
  };
  let pluginRegistered = false;
  const registry = {
    registerAdminConsoleCustomSetting(key, component, options) { mm.settings[key] = { component, options: options || {} }; },
    registerRightHandSidebarComponent(component, title) {
      const id = 'rhs-' + mm.rhs.length;
      mm.rhs.push({ id, component, title });
      return { id, showRHSPlugin: { type: 'SHOW_RHS_PLUGIN', id }, hideRHSPlugin: { type: 'HIDE_RHS_PLUGIN', id }, toggleRHSPlugin: { type: 'TOGGLE_RHS_PLUGIN', id } };
    },
    registerChannelHeaderButtonAction(icon, action, dropdownText, tooltipText) { mm.headerButtons.push({ icon, action, dropdownText, tooltipText }); return 'button-' + mm.headerButtons.length; },
    registerWebSocketEventHandler(event, handler) { mm.wsHandlers[event] = handler; },
    registerRootComponent(component) { mm.roots.push(component); render(); return 'root-' + mm.roots.length; },
  };
  window.registerPlugin = function (id, plugin) {
    mm.pluginId = id;
    plugin.initialize(registry, store);
    pluginRegistered = true;
    render();
  };

  function ConsoleSetting(props) {
    const [value, setValue] = React.useState(mm.value);
    const [dirty, setDirty] = React.useState(false);
    const Component = props.setting.component;
    return h('div', { className: 'host-setting' },
      h('label', null, 'MCP configuration:'),
      h('div', null,
        h(Component, {
          id: 'PluginSettings.Plugins.' + mm.pluginId + '.config',
          label: 'MCP configuration',
          helpText: null,
          value,
          disabled: false,
          setByEnv: false,
          config: { ServiceSettings: { SiteURL: location.origin } },
          license: {},
          onChange(id, next) { mm.onChangeCalls.push({ id, value: JSON.parse(JSON.stringify(next)) }); mm.value = next; setValue(next); },
          setSaveNeeded() { mm.saveNeeded += 1; setDirty(true); },
          registerSaveAction() {}, unRegisterSaveAction() {},
        }),
        h('div', { className: 'host-save', 'data-testid': 'save-state' }, dirty ? 'Unsaved changes' : 'Saved')));
  }

  function App() {
    if (!pluginRegistered) return h('div', null, 'Loading plugin…');
    if (view === 'console') {
      return h('div', { className: 'host-app' },
        h('nav', { className: 'host-sidebar' }, 'System Console'),
        h('main', { className: 'host-console' },
          h('div', { className: 'host-console-panel' },
            h('h2', null, 'Mattermost MCP'),
            Object.entries(mm.settings).map(([key, setting]) => h(ConsoleSetting, { key, setting })))));
    }
    const rhs = mm.rhs[0];
    return h('div', { className: 'host-app' },
      h('nav', { className: 'host-sidebar' }, 'Town Square'),
      h('div', { className: 'host-main' },
        h('header', { className: 'host-header' },
          h('h1', null, 'Town Square'),
          mm.headerButtons.map((b, i) => h('button', { key: i, type: 'button', 'aria-label': b.tooltipText || b.dropdownText, 'aria-pressed': mm.rhsOpen, title: b.tooltipText, onClick: () => b.action({ id: 'channel1' }) }, b.icon))),
        h('div', { className: 'host-body' },
          h('div', { className: 'host-center' }, 'Welcome to Town Square.'),
          mm.rhsOpen && rhs && h('aside', { className: 'host-rhs', 'aria-label': 'Right-hand sidebar' }, h('h2', null, rhs.title), h(rhs.component)))),
      mm.roots.map((component, i) => h(component, { key: 'root-' + i })));
  }

  let root;
  function render() {
    const container = document.getElementById('root');
    if (!container) return;
    if (!root) root = ReactDOM.createRoot(container);
    root.render(h(App));
  }
  window.addEventListener('DOMContentLoaded', render);
})();
</script>
<script src="/static/plugin.js" defer></script>
</head>
<body><div id="root"></div></body>
</html>`;
