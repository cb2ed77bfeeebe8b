/** Jest global teardown of the end-to-end suite: stops Mattermost (and so the plugin) and drops its database. */
export default async function globalTeardown(): Promise<void> {
  const server = globalThis.mattermostE2E;
  globalThis.mattermostE2E = undefined;
  await server?.stop();
}
