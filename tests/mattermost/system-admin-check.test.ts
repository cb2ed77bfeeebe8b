import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MattermostUnavailableError } from '../../server/mattermost/errors.js';
import { SystemAdminCheck } from '../../server/mattermost/system-admin.js';
import { startFakeMattermost, type FakeMattermost } from '../support/fake-mattermost.js';

const TOKEN = 'bottokenaaaaaaaaaaaaaaaaaa';

describe('SystemAdminCheck', () => {
  let mattermost: FakeMattermost;
  let clock = 0;
  const lookups = (id: string) => mattermost.requests.filter((r) => r.path === `/api/v4/users/${id}`).length;
  const check = (options: { cacheSize?: number } = {}) =>
    new SystemAdminCheck({ url: `${mattermost.url}/`, token: TOKEN, cacheTtlMs: 60_000, now: () => clock, ...options });

  beforeAll(async () => {
    mattermost = await startFakeMattermost({
      token: TOKEN,
      users: [
        { id: 'admin1', username: 'admin1', roles: 'system_user system_admin' },
        { id: 'user1', username: 'user1', roles: 'system_user' },
        { id: 'user2', username: 'user2', roles: 'system_user channel_admin' },
        { id: 'user3', username: 'user3', roles: 'system_user_manager system_user' },
      ],
    });
  });

  afterAll(async () => {
    await mattermost.close();
  });

  it('reads system_admin from the space-separated roles, and nothing that merely resembles it', async () => {
    const admins = check();
    expect(await admins.isSystemAdmin('admin1')).toBe(true);
    expect(await admins.isSystemAdmin('user1')).toBe(false);
    expect(await admins.isSystemAdmin('user3')).toBe(false);
  });

  it('sees a role change once the cached answer is older than its lifetime', async () => {
    mattermost.setUser({ id: 'promoted', username: 'promoted', roles: 'system_user' });
    const admins = check();
    expect(await admins.isSystemAdmin('promoted')).toBe(false);
    mattermost.setUser({ id: 'promoted', username: 'promoted', roles: 'system_user system_admin' });
    clock += 59_000;
    expect(await admins.isSystemAdmin('promoted')).toBe(false);
    clock += 2_000;
    expect(await admins.isSystemAdmin('promoted')).toBe(true);
    expect(lookups('promoted')).toBe(2);
  });

  it('shares one request among concurrent questions about one user', async () => {
    const admins = check();
    const before = lookups('user2');
    expect(
      await Promise.all([admins.isSystemAdmin('user2'), admins.isSystemAdmin('user2'), admins.isSystemAdmin('user2')]),
    ).toEqual([false, false, false]);
    expect(lookups('user2')).toBe(before + 1);
  });

  it('keeps a bounded number of answers, dropping the oldest', async () => {
    const admins = check({ cacheSize: 2 });
    const before = lookups('admin1');
    await admins.isSystemAdmin('admin1');
    await admins.isSystemAdmin('user1');
    await admins.isSystemAdmin('user2');
    await admins.isSystemAdmin('admin1');
    expect(lookups('admin1')).toBe(before + 2);
  });

  it('throws MattermostUnavailableError (never "not an admin") when Mattermost refuses the token', async () => {
    const refused = new SystemAdminCheck({ url: mattermost.url, token: 'wrong' });
    await expect(refused.isSystemAdmin('admin1')).rejects.toThrow(MattermostUnavailableError);
    await expect(refused.isSystemAdmin('admin1')).rejects.toThrow('HTTP 401');
  });
});
