#!/usr/bin/env node
/**
 * Counts what the fault and abuse suite did, from a run of it (the counts table of docs/faults.md):
 *
 *   nice -n 19 node tests/faults/count-cases.mjs [--slow] [--replicas] [--keep-report FILE]
 *
 * It runs jest over the suite's folders with `--json --testLocationInResults`, then sorts every passed case
 * into the rows of docs/faults.md with the RULES below (spec file + test name). How much one case counts for
 * is written in its rule, next to the spec it describes, except for two kinds of number read from the spec's
 * source at the case's own lines (from its `it` to the next one): fast-check runs (the `numRuns` of each
 * `fc.assert`, fast-check's default 100 where none is given) and the size of a `for (… of [a, b])` loop that
 * sends one input per item. jest's report says which cases ran and passed; nothing in the product or the
 * specs is instrumented. The load figures are the line the load spec prints (tests/load/load-spec.ts).
 *
 * Exit status 1 when a case failed, when a rule matched no passed case (a spec renamed or removed: the table
 * would silently shrink), when a case matched two rules, or when anything counted as lost is not zero.
 *
 * --slow adds tests/slow (1,000 users, over a minute); --replicas adds tests/replicas, which runs the compiled
 * sidecar from dist/ (run `make build` first).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const withSlow = args.includes('--slow');
const withReplicas = args.includes('--replicas');
const keepAt = args.includes('--keep-report') ? args[args.indexOf('--keep-report') + 1] : undefined;

const PATHS = [
  'tests/faults',
  'tests/abuse',
  'tests/http',
  'tests/oauth',
  'tests/config',
  'tests/store',
  'tests/load',
  'tests/mattermost/admin-routes.test.ts',
  'tests/mcp/tool-names.test.ts',
  'tests/mcp/request-signal.test.ts',
  'tests/mcp-endpoint/mcp-endpoint.test.ts',
  'tests/mattermost/untrusted-text.test.ts',
  'tests/mattermost/masked-config.test.ts',
  ...(withSlow ? ['tests/slow'] : []),
  ...(withReplicas ? ['tests/replicas'] : []),
];

/** The rows of docs/faults.md, in the four groups. */
const ROWS = {
  F1: ['Faults', 'MCP server killed mid-call, then restarted'],
  F2: ['Faults', 'MCP server hanging (a tool that never answers)'],
  F3: ['Faults', 'MCP server answering garbage: HTML, invalid JSON, a 500, a body over the size limit'],
  F4: ['Faults', 'SSE stream dropped (server killed under an SSE session, restarted)'],
  F5: ['Faults', 'MCP server dead for many users at once (circuit breaker)'],
  F6: ['Faults', 'Authorization server down or slow during discovery'],
  F7: ['Faults', 'Authorization server down during client registration'],
  F8: ['Faults', 'Authorization server hanging during the code exchange'],
  F9: ['Faults', 'Authorization server down or hanging during refresh'],
  F10: ['Faults', 'Store (Redis, PostgreSQL) stopped and restarted under load; stores unreachable or broken'],
  F11: ['Faults', 'Mattermost unreachable during the admin check'],
  F12: ['Faults', 'A sidecar replica killed mid-flow; both replicas restarted (--replicas)'],
  F13: ['Faults', 'A disconnect or a new connection racing a refresh, a store read or another write'],
  F14: ['Faults', 'Shutdown while a refresh is held at the authorization server'],
  F15: ['Faults', 'A Disconnect or a deactivation made on another replica'],
  F16: ['Faults', 'Short-lived (20 s) tokens and concurrent calls on one and two replicas'],
  F17: ['Faults', 'An authorization server that forgot this plugin’s client registration'],
  B1: [
    'Bad input',
    'Invalid configuration in every field (hooks, parseConfig, admin discover, store URL, keyring, key file)',
  ],
  B2: ['Bad input', 'Unknown tool or server names'],
  B3: ['Bad input', 'Wrong argument types'],
  B4: ['Bad input', 'Oversized arguments, bodies and headers; JSON nested 100,000 deep'],
  B5: ['Bad input', 'Malformed JSON and malformed tool-call bodies'],
  B6: ['Bad input', 'Malformed answers from servers: non-JSON errors, missing fields, garbage WWW-Authenticate'],
  B7: [
    'Bad input',
    'fast-check: WWW-Authenticate parser, metadata validators, discovery, tool results, HTTP boundary, config validator, tool-name mapping',
  ],
  B8: ['Bad input', 'fast-check: untrusted text (tool descriptions, error reasons) in /mcp posts'],
  B9: ['Bad input', 'Connect on a server that needs no OAuth'],
  H1: ['Hostile callers', 'No or forged sidecar secret, on every route'],
  H2: ['Hostile callers', 'Spoofed, odd or duplicated X-Mattermost-UserID'],
  H3: ['Hostile callers', 'Non-admins on admin routes; fail closed when Mattermost cannot tell'],
  H4: ['Hostile callers', 'Forged, replayed, expired and cross-user OAuth states, codes and refresh tokens'],
  H5: ['Hostile callers', 'Redirects and endpoints on other hosts'],
  H6: ['Hostile callers', 'Non-HTTPS metadata and endpoints off loopback; PKCE downgrade'],
  H7: ['Hostile callers', 'A token sent to another server'],
  H8: ['Hostile callers', 'Log and storage scans for credentials'],
  H9: ['Hostile callers', 'Sealed store records tampered with'],
  H10: ['Hostile callers', 'The flow pages framed, sniffed or made to run script'],
  H11: ['Hostile callers', 'An MCP server whose tool list would take the sidecar’s memory'],
  H12: ['Hostile callers', 'Secret settings read by the console and sent back masked'],
  H13: ['Hostile callers', 'A pre-registered client led to another issuer'],
  H14: ['Hostile callers', 'SSRF through OAuth metadata; error bodies on pages'],
  H15: ['Hostile callers', 'Start route queries: hostile scope and metadata, 3,000 junk starts'],
  H16: ['Hostile callers', 'Mix-up between authorization servers (RFC 9207)'],
  L1: ['Load', '200 users × 3 servers listing and calling at once (default suite)'],
  L2: ['Load', '1,000 users × 3 servers (make test-slow; --slow)'],
};

/**
 * One rule: the cases of `file` whose full name matches `name` belong to `row` and each counts for:
 * `faults` switched on (a kill, a hang, an outage, a garbage answer…), `recoveries` (restarts, back up),
 * `inputs` (bad inputs tried; 'numRuns' or 'loop' read from the source), `refused` (hostile requests the case
 * asserts were refused), `checks` (scans and isolation checks that send nothing hostile themselves).
 * `lost`: the case asserts that nothing was lost; the text says what.
 */
const RULES = [
  // (1) Faults
  {
    row: 'F1',
    file: 'tests/faults/mcp-server-faults.test.ts',
    name: /dies mid-call, and reconnects after a restart/,
    faults: 1,
    recoveries: 1,
  },
  { row: 'F2', file: 'tests/faults/mcp-server-faults.test.ts', name: /times a hanging tool out/, faults: 1 },
  { row: 'F3', file: 'tests/faults/mcp-server-faults.test.ts', name: /reports a server answering with/, faults: 1 },
  {
    row: 'F4',
    file: 'tests/faults/mcp-server-faults.test.ts',
    name: /SSE stream is dropped/,
    faults: 1,
    recoveries: 1,
  },
  {
    row: 'F5',
    file: 'tests/faults/circuit-breaker.test.ts',
    name: /dials a dead server a bounded number of times/,
    faults: 1,
  },
  {
    row: 'F5',
    file: 'tests/faults/circuit-breaker.test.ts',
    name: /stops sending requests for users who were connected/,
    faults: 1,
  },
  {
    row: 'F5',
    file: 'tests/faults/circuit-breaker.test.ts',
    name: /probes once per cooldown/,
    faults: 1,
    recoveries: 1,
  },
  {
    row: 'F5',
    file: 'tests/faults/circuit-breaker.test.ts',
    name: /leaves other servers and their users alone/,
    faults: 1,
    lost: 'all 50 users of the healthy server get their own echo back',
  },
  { row: 'F5', file: 'tests/faults/circuit-breaker.test.ts', name: /cannot be opened by one user/, faults: 1 },
  {
    row: 'F6',
    file: 'tests/faults/authorization-server-faults.test.ts',
    name: /during discovery/,
    faults: 1,
    recoveries: 1,
  },
  {
    row: 'F6',
    file: 'tests/oauth/discovery.test.ts',
    name: /network failures (reports a server that does not answer in time|reports a refused connection)/,
    faults: 1,
  },
  {
    row: 'F7',
    file: 'tests/faults/authorization-server-faults.test.ts',
    name: /during client registration/,
    faults: 1,
    recoveries: 1,
  },
  {
    row: 'F8',
    file: 'tests/faults/authorization-server-faults.test.ts',
    name: /during the code exchange/,
    faults: 1,
    recoveries: 1,
    lost: 'nothing half-stored after the failed exchange; connecting again works',
  },
  {
    row: 'F9',
    file: 'tests/faults/authorization-server-faults.test.ts',
    name: /during refresh keeps the tokens/,
    faults: 1,
    recoveries: 1,
    lost: 'the stored tokens are unchanged while the refresh fails, and refreshed once it is back',
  },
  {
    row: 'F9',
    file: 'tests/faults/authorization-server-faults.test.ts',
    name: /during refresh answers at once with a token that is still valid/,
    faults: 1,
    lost: 'the still-valid token is kept',
  },
  {
    row: 'F9',
    file: 'tests/faults/authorization-server-faults.test.ts',
    name: /during refresh does not hammer/,
    faults: 1,
    recoveries: 1,
    lost: 'all 20 users are served again and keep their tokens',
  },
  {
    row: 'F10',
    file: 'tests/faults/store-outage.test.ts',
    name: /store that goes away under load/,
    faults: 2,
    recoveries: 2,
    lost: '10 users × 2 servers served through the outage (100 calls), and a replica knowing only the store serves every user afterwards (`lost` is [])',
  },
  { row: 'F10', file: 'tests/store/redis-outage.test.ts', name: /goes away and comes back/, faults: 1, recoveries: 1 },
  {
    row: 'F10',
    file: 'tests/store/store-url.test.ts',
    name: /(cannot be reached|SQLite file cannot be opened)/,
    faults: 1,
  },
  { row: 'F10', file: 'tests/store/records.test.ts', name: /reports a failing backend/, faults: 1 },
  { row: 'F11', file: 'tests/mattermost/admin-routes.test.ts', name: /answers 503 when Mattermost is down/, faults: 1 },
  {
    row: 'F12',
    file: 'tests/replicas/two-replicas.test.ts',
    name: /replica A was killed/,
    faults: 1,
    optional: 'replicas',
  },
  {
    row: 'F13',
    file: 'tests/oauth/oauth-manager.test.ts',
    name: /keeps a disconnect when a refresh that began before it/,
    faults: 1,
    lost: 'the disconnect stands: the refreshed tokens are neither stored nor used',
  },
  {
    row: 'F13',
    file: 'tests/oauth/token-vault.test.ts',
    name: /disconnect while the store is still answering an earlier read/,
    faults: 1,
    lost: 'the disconnect stands, in memory and in the store',
  },
  {
    row: 'F13',
    file: 'tests/oauth/token-vault.test.ts',
    name: /read that starts while a disconnect is being written/,
    faults: 1,
    lost: 'the disconnect stands: the read finds no tokens',
  },
  {
    row: 'F13',
    file: 'tests/oauth/token-vault.test.ts',
    name: /saves and deletes of the same tokens overlap/,
    faults: 1,
    lost: '25 overlapping saves keep the newer tokens and 25 disconnects right after a save leave nothing stored',
  },
  {
    row: 'F13',
    file: 'tests/oauth/token-vault.test.ts',
    name: /new tokens saved while the store is still answering/,
    faults: 1,
    lost: 'the newer tokens stand',
  },
  {
    row: 'F12',
    file: 'tests/replicas/two-replicas.test.ts',
    name: /when both replicas restart/,
    faults: 1,
    recoveries: 2,
    optional: 'replicas',
    lost: 'every connection and the shared config survive both replicas restarting',
  },
  {
    row: 'F14',
    file: 'tests/oauth/token-lifecycle.test.ts',
    name: /stores the rotated refresh token of a refresh answered while the sidecar closes/,
    faults: 1,
    recoveries: 1,
    lost: 'the rotated refresh token is in the store when it is opened again',
  },
  {
    row: 'F14',
    file: 'tests/oauth/token-lifecycle.test.ts',
    name: /revokes at the authorization server a refresh token rotated after the store closed/,
    faults: 1,
    recoveries: 1,
    lost: 'the refresh token rotated after the store closed is revoked at the authorization server, not left valid and unknown',
  },
  {
    row: 'F15',
    file: 'tests/oauth/token-lifecycle.test.ts',
    name: /a Disconnect made on another replica/,
    faults: 1,
    lost: 'the disconnect stands on the other replica: its calls ask to connect, it shows the user as not connected',
  },
  {
    row: 'F15',
    file: 'tests/oauth/sidecar-lifecycle.test.ts',
    name: /a deactivated user/,
    faults: 1,
    lost: 'the deactivated user keeps no token: revoked at the authorization server, deleted, sessions closed',
  },
  {
    row: 'F15',
    file: 'tests/replicas/two-replicas.test.ts',
    name: /within seconds of their (Disconnect on replica B|deactivation reaching replica B)/,
    faults: 1,
    optional: 'replicas',
    lost: "replica A stops using the token within 5 s (and shows the user as not connected); a deactivated user's refresh token is revoked",
  },
  { row: 'F16', file: 'tests/oauth/token-lifecycle.test.ts', name: /refreshes 20-second tokens once/, checks: 1 },
  {
    row: 'F16',
    file: 'tests/oauth/token-lifecycle.test.ts',
    name: /forgets the tokens of a user not seen for a while/,
    checks: 1,
  },
  {
    row: 'F16',
    file: 'tests/oauth/token-vault.test.ts',
    name: /reads the store once for 10 concurrent requests/,
    checks: 1,
  },
  {
    row: 'F16',
    file: 'tests/mcp/request-signal.test.ts',
    name: /hangs one listener on the session's signal/,
    checks: 1,
  },
  {
    row: 'F16',
    file: 'tests/replicas/two-replicas.test.ts',
    name: /(refreshes a 20-second token once for 20 concurrent calls|serves 24 calls held at the server at once across both replicas)/,
    checks: 1,
    optional: 'replicas',
  },
  {
    row: 'F17',
    file: 'tests/oauth/forgotten-registration.test.ts',
    name: /(answers invalid_client at refresh|past its client_secret_expires_at)/,
    faults: 1,
    recoveries: 1,
    lost: 'the user connects again with a new registration instead of being locked out',
  },
  {
    row: 'F17',
    file: 'tests/oauth/forgotten-registration.test.ts',
    name: /sends an error callback/,
    faults: 1,
    recoveries: 1,
  },
  {
    row: 'F17',
    file: 'tests/oauth/forgotten-registration.test.ts',
    name: /refuses a pre-registered client/,
    faults: 1,
  },

  // (2) Bad input
  { row: 'B1', file: 'tests/abuse/bad-input.test.ts', name: /invalid configuration in every field/, inputs: 'loop' },
  {
    row: 'B1',
    file: 'tests/config/config.test.ts',
    name: /(parseConfig refuses|names every bad field|per-server OAuth options refuses)/,
    inputs: 1,
  },
  {
    row: 'B1',
    file: 'tests/http/sidecar-api.test.ts',
    name: /(refuses an invalid config|validates a config before Mattermost saves it)/,
    inputs: 1,
  },
  {
    row: 'B1',
    file: 'tests/mattermost/admin-routes.test.ts',
    name: /discover answers 400 naming the field/,
    inputs: 1,
  },
  {
    row: 'B1',
    file: 'tests/store/store-url.test.ts',
    name: /(refuses |requires encryption keys|never repeats a password)/,
    inputs: 1,
  },
  {
    row: 'B1',
    file: 'tests/store/keyring.test.ts',
    name: /(refuses .*naming the entry|never repeats key material)/,
    inputs: 1,
  },
  { row: 'B1', file: 'tests/store/sqlite-key-file.test.ts', name: /refuses a key file/, inputs: 1 },
  {
    row: 'B1',
    file: 'tests/replicas/config-sync.test.ts',
    name: /never shares a config it refused/,
    inputs: 1,
    optional: 'replicas',
  },
  { row: 'B2', file: 'tests/abuse/bad-input.test.ts', name: /naming the unknown tool/, inputs: 1 },
  { row: 'B2', file: 'tests/http/sidecar-api.test.ts', name: /answers 404 naming an unknown tool/, inputs: 1 },
  {
    row: 'B2',
    file: 'tests/oauth/sidecar-oauth-routes.test.ts',
    name: /404 for the start URL of an unknown server/,
    inputs: 1,
  },
  { row: 'B3', file: 'tests/abuse/bad-input.test.ts', name: /refusal of wrong argument types/, inputs: 1 },
  // 500 KB (the server's own refusal) and 1 MiB (past the sidecar's body limit); the 90 KB call must pass.
  { row: 'B4', file: 'tests/abuse/bad-input.test.ts', name: /carries large arguments/, inputs: 2 },
  { row: 'B4', file: 'tests/abuse/bad-input.test.ts', name: /nested 100,000 levels deep/, inputs: 1 },
  { row: 'B4', file: 'tests/oauth/www-authenticate.test.ts', name: /refuses a header longer than/, inputs: 1 },
  {
    row: 'B5',
    file: 'tests/abuse/bad-input.test.ts',
    name: /malformed tool-call bodies (answers 4|does not let __proto__)/,
    inputs: 1,
  },
  {
    row: 'B5',
    file: 'tests/mcp-endpoint/mcp-endpoint.test.ts',
    name: /(body that is not JSON|body over the tool-call limit)/,
    inputs: 1,
  },
  {
    row: 'B5',
    file: 'tests/http/sidecar-api.test.ts',
    name: /(answers 400 with the field at fault|answers 400 to malformed JSON)/,
    inputs: 1,
  },
  {
    row: 'B6',
    file: 'tests/oauth/token-endpoint.test.ts',
    name: /(200 carrying an error|non-JSON error page|success without an access token)/,
    inputs: 1,
  },
  {
    row: 'B6',
    file: 'tests/oauth/registration.test.ts',
    name: /(non-JSON error body|success without a client_id|without a usable redirect URI)/,
    inputs: 1,
  },
  {
    row: 'B6',
    file: 'tests/oauth/www-authenticate.test.ts',
    name: /(reads (an unterminated quote|junk after a value|garbage before a challenge|nothing|only separators|empty list elements)$|parameter named __proto__|garbage headers)/,
    inputs: 1,
  },
  {
    row: 'B6',
    file: 'tests/oauth/discovery.test.ts',
    name: /(refuses resource metadata without authorization servers|stops at a 500)/,
    inputs: 1,
  },
  { row: 'B6', file: 'tests/abuse/fuzz.test.ts', name: /member named __proto__/, inputs: 1 },
  { row: 'B7', file: 'tests/oauth/www-authenticate.test.ts', name: /^properties /, inputs: 'numRuns' },
  {
    row: 'B7',
    file: 'tests/abuse/fuzz.test.ts',
    name: /(under fuzzing \(fast-check\) (protected|authorization)|ends in a discovery or a typed error|never a crash)/,
    inputs: 'numRuns',
  },
  {
    row: 'B7',
    file: 'tests/abuse/bad-input.test.ts',
    name: /properties at the HTTP boundary \(fast-check\) answers any/,
    inputs: 'numRuns',
  },
  { row: 'B7', file: 'tests/abuse/bad-input.test.ts', name: /logged no internal error for any of it/, checks: 1 },
  {
    row: 'B7',
    file: 'tests/config/config.test.ts',
    name: /never throws anything but ConfigValidationError/,
    inputs: 'numRuns',
  },
  {
    row: 'B7',
    file: 'tests/mcp/tool-names.test.ts',
    name: /round-trips any set of \(server, tool\) pairs/,
    inputs: 'numRuns',
  },
  { row: 'B8', file: 'tests/mattermost/untrusted-text.test.ts', name: /renders no link, mention/, inputs: 'numRuns' },
  { row: 'B8', file: 'tests/mattermost/untrusted-text.test.ts', name: /as plain text in `\/mcp tools`/, inputs: 1 },
  {
    row: 'B9',
    file: 'tests/oauth/start-route.test.ts',
    name: /(needs no connection, and registers nothing|says so in \/mcp connect)/,
    inputs: 1,
  },

  // (3) Hostile callers
  {
    row: 'H1',
    file: 'tests/abuse/hostile-callers.test.ts',
    name: /requests without the shared secret .* is refused with 401/,
    refused: 1,
  },
  {
    row: 'H1',
    file: 'tests/abuse/hostile-callers.test.ts',
    name: /wrong secret sent before the right one/,
    refused: 1,
  },
  {
    row: 'H1',
    file: 'tests/abuse/hostile-callers.test.ts',
    name: /left Alice connected and the configuration as it was/,
    checks: 1,
  },
  {
    row: 'H1',
    file: 'tests/http/sidecar-api.test.ts',
    name: /(without the sidecar secret|answers 401 to a wrong secret)/,
    refused: 1,
  },
  {
    row: 'H1',
    file: 'tests/http/sidecar-api.test.ts',
    name: /(refuses to listen on a non-loopback address|unix socket only its own OS user)/,
    checks: 1,
  },
  { row: 'H2', file: 'tests/abuse/hostile-callers.test.ts', name: /odd X-Mattermost-UserID values/, refused: 1 },
  {
    row: 'H2',
    file: 'tests/http/sidecar-api.test.ts',
    name: /401 to a user route without X-Mattermost-UserID/,
    refused: 1,
  },
  {
    row: 'H3',
    file: 'tests/mattermost/admin-routes.test.ts',
    name: /(answers 403|answers 401 without the user|answers 503 when Mattermost refuses the bot token|no Mattermost REST access)/,
    refused: 1,
  },
  {
    row: 'H4',
    file: 'tests/oauth/oauth-manager.test.ts',
    name: /the callback refuses (a forged state|a replayed state|a state started by another user|an expired state)/,
    refused: 1,
  },
  // Another Mattermost user finishing Bob's callback, then nobody: two requests refused.
  {
    row: 'H4',
    file: 'tests/oauth/sidecar-oauth-routes.test.ts',
    name: /refuses a callback finished by another Mattermost user/,
    refused: 2,
  },
  {
    row: 'H4',
    file: 'tests/oauth/code-flow.test.ts',
    name: /(another state before reading its code|another PKCE verifier|same code twice|rotated refresh token is used again)/,
    refused: 1,
  },
  {
    row: 'H4',
    file: 'tests/oauth/authorization-request.test.ts',
    name: /(checks state before believing an error|refuses a response from another issuer)/,
    refused: 1,
  },
  {
    row: 'H4',
    file: 'tests/replicas/two-replicas.test.ts',
    name: /takes a state once across replicas/,
    refused: 1,
    optional: 'replicas',
  },
  {
    row: 'H5',
    file: 'tests/abuse/hostile-servers.test.ts',
    name: /(points the sidecar at another host|names another server’s resource metadata)/,
    refused: 1,
  },
  {
    row: 'H5',
    file: 'tests/oauth/sidecar-oauth-routes.test.ts',
    name: /resource_metadata hint on another origin/,
    refused: 1,
  },
  { row: 'H5', file: 'tests/oauth/registration.test.ts', name: /does not follow a redirect/, refused: 1 },
  { row: 'H5', file: 'tests/oauth/token-endpoint.test.ts', name: /does not follow a redirect/, refused: 1 },
  {
    row: 'H5',
    file: 'tests/oauth/discovery.test.ts',
    name: /(describes another resource|not the issuer it was fetched for|naming an issuer on another origin)/,
    refused: 1,
  },
  { row: 'H6', file: 'tests/abuse/hostile-servers.test.ts', name: /move the flow off HTTPS/, refused: 1 },
  {
    row: 'H6',
    file: 'tests/oauth/discovery.test.ts',
    name: /(not HTTPS unless it is on loopback|plain HTTP on a host that is not loopback|plain-HTTP authorization server off loopback|offers only plain|does not advertise PKCE)/,
    refused: 1,
  },
  {
    row: 'H7',
    file: 'tests/abuse/hostile-servers.test.ts',
    name: /(never sends a user’s token for one server|keeps tokens bound to the URL)/,
    checks: 1,
  },
  { row: 'H8', file: 'tests/abuse/log-scan.test.ts', name: /the log, at debug level/, checks: 1 },
  {
    row: 'H8',
    file: 'tests/http/sidecar-api.test.ts',
    name: /never writes an admin-configured header value/,
    checks: 1,
  },
  {
    row: 'H8',
    file: 'tests/oauth/oauth-manager.test.ts',
    name: /never writes a token, code or verifier to the log/,
    checks: 1,
  },
  {
    row: 'H8',
    file: 'tests/store/encryption-at-rest.test.ts',
    name: /(keeps no token or client secret in the stored bytes|carries neither plaintext nor key)/,
    checks: 1,
  },
  {
    row: 'H8',
    file: 'tests/replicas/two-replicas.test.ts',
    name: /stores no access token, refresh token, header value or pending flow in plaintext/,
    checks: 1,
    optional: 'replicas',
  },
  {
    row: 'H8',
    file: 'tests/oauth/token-lifecycle.test.ts',
    name: /keeps the PKCE verifier of a flow not yet finished sealed/,
    checks: 1,
  },
  { row: 'H10', file: 'tests/oauth/sidecar-lifecycle.test.ts', name: /send nosniff and a CSP/, checks: 1 },
  {
    row: 'H9',
    file: 'tests/store/encryption-at-rest.test.ts',
    name: /(a sealed value changed in the store is refused|refuses a record sealed under the same kid)/,
    refused: 1,
  },
  { row: 'H11', file: 'tests/abuse/hostile-tool-lists.test.ts', name: /is refused/, refused: 1 },
  {
    row: 'H11',
    file: 'tests/abuse/hostile-tool-lists.test.ts',
    name: /lists (more than|a big but bounded)/,
    checks: 1,
  },
  {
    row: 'H12',
    file: 'tests/mattermost/masked-config.test.ts',
    name: /(answers 403|refuses to discover with a mask)/,
    refused: 1,
  },
  {
    row: 'H12',
    file: 'tests/mattermost/masked-config.test.ts',
    name: /(gives a system admin every server|discovers a server the console sent)/,
    checks: 1,
  },
  {
    row: 'H13',
    file: 'tests/oauth/pinned-issuer.test.ts',
    name: /(refuses a server whose metadata names another|never sends the client secret)/,
    refused: 1,
  },
  {
    row: 'H13',
    file: 'tests/oauth/pinned-issuer.test.ts',
    name: /connects through the authorization server it is registered at/,
    checks: 1,
  },
  // The policy table: one address judged per case, nothing sent.
  { row: 'H14', file: 'tests/oauth/address-policy.test.ts', name: /^the address policy /, checks: 1 },
  {
    row: 'H14',
    file: 'tests/oauth/address-policy.test.ts',
    name: /(refuses an authorization server at|refuses a redirect of a metadata fetch|refuses a configured authorization server whose metadata)/,
    refused: 1,
  },
  { row: 'H14', file: 'tests/oauth/address-policy.test.ts', name: /lets a server on loopback use/, checks: 1 },
  { row: 'H14', file: 'tests/oauth/start-route.test.ts', name: /shows a generic page naming the server/, checks: 1 },
  {
    row: 'H15',
    file: 'tests/oauth/start-route.test.ts',
    name: /takes the scope and the metadata URL from the server’s own challenge/,
    refused: 1,
  },
  // 3,000 starts with junk queries, counted once: the case asserts the caps, not each start.
  {
    row: 'H15',
    file: 'tests/oauth/start-route.test.ts',
    name: /keeps the discovery cache and a user’s pending flows within their caps/,
    refused: 1,
  },
  {
    row: 'H16',
    file: 'tests/oauth/mix-up.test.ts',
    name: /(refuses a code from another authorization server|uses the client metadata document only)/,
    refused: 1,
  },
  {
    row: 'H16',
    file: 'tests/oauth/mix-up.test.ts',
    name: /gives each issuer’s registration a redirect URI of its own/,
    checks: 1,
  },

  // (4) Load
  {
    row: 'L1',
    file: 'tests/load/many-users.test.ts',
    name: /./,
    checks: 1,
    lost: 'no error and no answer delivered to the wrong caller or call; every session ended after eviction',
  },
  {
    row: 'L2',
    file: 'tests/slow/many-users.test.ts',
    name: /./,
    checks: 1,
    optional: 'slow',
    lost: 'as for 200 users',
  },
];

const enabled = (rule) => rule.optional === undefined || (rule.optional === 'slow' ? withSlow : withReplicas);

async function runJest(outputFile) {
  const jest = join(ROOT, 'node_modules/jest/bin/jest.js');
  // jest.config.js leaves tests/slow out; `make test-slow` lets it in the same way (after the paths: the
  // option takes every argument that follows it as another pattern).
  const ignore = withSlow ? ['--testPathIgnorePatterns', '/node_modules/'] : [];
  const child = spawn(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings',
      jest,
      '--ci',
      '--json',
      '--testLocationInResults',
      `--outputFile=${outputFile}`,
      ...PATHS,
      ...ignore,
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  return { code, stderr };
}

/** The source lines of one case: from its `it` (jest's location) up to the next case's in the same file. */
function caseSource(lines, starts, line) {
  const next = starts.find((start) => start > line) ?? lines.length + 1;
  return lines.slice(line - 1, next - 1).join('\n');
}

/** fast-check runs of a case: the numRuns of each fc.assert, 100 (fast-check's default) where none is given. */
function numRuns(source) {
  const asserts = (source.match(/fc\.assert\(/g) ?? []).length;
  const given = [...source.matchAll(/numRuns:\s*([\d_]+)/g)].map((m) => Number(m[1].replace(/_/g, '')));
  if (asserts === 0) throw new Error('no fc.assert in the case');
  return given.reduce((a, b) => a + b, 0) + 100 * Math.max(0, asserts - given.length);
}

/** Items of the first `for (const x of [a, b, …])` loop of a case: one input is sent per item. */
function loopSize(source) {
  const loop = /for \(const \w+ of \[([^\]]*)\]\)/.exec(source);
  if (!loop) throw new Error('no `for (const … of [ … ])` loop in the case');
  return loop[1].split(',').filter((item) => item.trim() !== '').length;
}

function amount(rule, key, source) {
  const value = rule[key];
  if (value === 'numRuns') return numRuns(source);
  if (value === 'loop') return loopSize(source);
  return value ?? 0;
}

/** The object the load spec prints per run (`{"users":…,"misdelivered":…}`), from jest's stderr. */
function loadFigures(stderr) {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{"users"'))
    .map((line) => JSON.parse(line));
}

const dir = mkdtempSync(join(tmpdir(), 'count-cases-'));
const reportFile = join(dir, 'jest.json');
const { code, stderr } = await runJest(reportFile);
let report;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'));
  if (keepAt) copyFileSync(reportFile, keepAt);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const problems = [];
if (code !== 0 || report.numFailedTests > 0 || report.numRuntimeErrorTestSuites > 0)
  problems.push(
    `jest: ${report.numFailedTests} failed cases, ${report.numRuntimeErrorTestSuites} suites that did not run (exit ${code})`,
  );

const totals = { faults: 0, recoveries: 0, inputs: 0, fastCheckRuns: 0, refused: 0, checks: 0 };
const rows = Object.fromEntries(
  Object.keys(ROWS).map((id) => [
    id,
    { files: new Set(), cases: 0, faults: 0, recoveries: 0, inputs: 0, refused: 0, checks: 0 },
  ]),
);
const groups = {};
const matchedBy = new Map(RULES.map((rule) => [rule, 0]));
const lostChecks = [];
let unclassified = 0;

for (const suite of report.testResults) {
  const file = relative(ROOT, suite.name);
  const lines = readFileSync(suite.name, 'utf8').split('\n');
  const starts = [...new Set(suite.assertionResults.map((a) => a.location?.line).filter(Boolean))].sort(
    (a, b) => a - b,
  );
  for (const result of suite.assertionResults) {
    const rules = RULES.filter((rule) => enabled(rule) && rule.file === file && rule.name.test(result.fullName));
    if (rules.length > 1) problems.push(`${file} › ${result.fullName}: matched by ${rules.length} rules`);
    const rule = rules[0];
    if (!rule) {
      if (result.status === 'passed') unclassified++;
      continue;
    }
    if (rule.lost)
      lostChecks.push({ row: rule.row, file, name: result.fullName, status: result.status, what: rule.lost });
    if (result.status !== 'passed') continue;
    matchedBy.set(rule, matchedBy.get(rule) + 1);
    const source = caseSource(lines, starts, result.location.line);
    const row = rows[rule.row];
    const [group] = ROWS[rule.row];
    groups[group] ??= { files: new Set(), cases: 0 };
    groups[group].files.add(file);
    groups[group].cases++;
    row.files.add(file);
    row.cases++;
    for (const key of ['faults', 'recoveries', 'inputs', 'refused', 'checks']) {
      const n = amount(rule, key, source);
      row[key] += n;
      totals[key] += n;
      if (key === 'inputs' && rule.inputs === 'numRuns') totals.fastCheckRuns += n;
    }
  }
}

for (const [rule, count] of matchedBy) {
  if (enabled(rule) && count === 0)
    problems.push(`rule ${rule.row} (${rule.file}, ${rule.name}) matched no passed case: renamed or removed?`);
}
const load = loadFigures(stderr);
const expectedLoadRuns = 1 + (withSlow ? 1 : 0);
if (load.length !== expectedLoadRuns)
  problems.push(`expected ${expectedLoadRuns} load figure line(s) on jest's stderr, found ${load.length}`);
const lostInLoad = load.reduce((sum, figures) => sum + figures.errors + figures.misdelivered, 0);
const lostCasesFailed = lostChecks.filter((check) => check.status !== 'passed');
const lost = lostInLoad + lostCasesFailed.length;
if (lost !== 0)
  problems.push(
    `lost is ${lost}: ${lostInLoad} load errors or misdelivered answers, ${lostCasesFailed.length} 'nothing lost' cases not passed`,
  );

const git = (...gitArgs) => {
  try {
    return execFileSync('git', gitArgs, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};
const commit = `${git('rev-parse', '--short', 'HEAD') || 'unknown'}${git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : ''}`;

const out = [];
out.push(`Fault and abuse suite counts — commit ${commit}, ${new Date().toISOString()}, node ${process.version}`);
out.push(`jest ${PATHS.join(' ')}`);
out.push(
  `jest: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped, of ${report.numTotalTests} in ${report.numTotalTestSuites} spec files; ${report.numPassedTests - unclassified} passed cases counted below, ${unclassified} are functional cases of the same folders (no row)`,
);
out.push('');
out.push('| group | spec files | cases passed |');
out.push('|---|---:|---:|');
for (const group of new Set(Object.values(ROWS).map(([name]) => name)))
  if (groups[group]) out.push(`| ${group} | ${groups[group].files.size} | ${groups[group].cases} |`);
out.push('');
out.push('| row | what | spec files | cases | faults injected | recoveries | bad inputs | hostile refused | checks |');
out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [id, row] of Object.entries(rows)) {
  if (row.cases === 0) continue;
  out.push(
    `| ${id} | ${ROWS[id][1]} | ${row.files.size} | ${row.cases} | ${row.faults} | ${row.recoveries} | ${row.inputs} | ${row.refused} | ${row.checks} |`,
  );
}
out.push('');
out.push(`faults injected: ${totals.faults} (and ${totals.recoveries} recoveries: restarts, back up)`);
out.push(
  `bad inputs tried: ${totals.inputs} (${totals.fastCheckRuns} of them fast-check runs, ${totals.inputs - totals.fastCheckRuns} hand-written)`,
);
out.push(`hostile requests refused: ${totals.refused} (plus ${totals.checks} scan and isolation checks)`);
for (const figures of load)
  out.push(
    `load: ${figures.users} users, ${figures.listings} listings, ${figures.calls} calls, ${figures.errors} errors, ${figures.misdelivered} misdelivered, heap MiB ${JSON.stringify(figures.heapMiB)}`,
  );
out.push(
  `lost: ${lost} (${lostChecks.filter((c) => c.status === 'passed').length} 'nothing lost' cases passed; load errors + misdelivered = ${lostInLoad})`,
);
for (const check of lostChecks)
  out.push(`  ${check.status === 'passed' ? 'ok ' : 'NOT'} ${check.row} ${check.file} › ${check.name}: ${check.what}`);
if (problems.length > 0) {
  out.push('');
  for (const problem of problems) out.push(`PROBLEM: ${problem}`);
}
process.stdout.write(`${out.join('\n')}\n`);
process.exitCode = problems.length > 0 ? 1 : 0;
