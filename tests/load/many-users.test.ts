import { specifyLoad } from './load-spec.js';

// The 1,000-user version runs in `make test-slow` (tests/slow/many-users.test.ts).
specifyLoad({ users: 200, requestsPerUser: 6, timeoutMs: 120_000 });
