import { specifyLoad } from '../load/load-spec.js';

// Over a minute on a 2-core machine: `make test-slow` runs it; the default suite runs 200 users.
specifyLoad({ users: 1_000, requestsPerUser: 9, timeoutMs: 900_000 });
