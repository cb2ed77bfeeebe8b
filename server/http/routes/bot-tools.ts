import { Router } from 'express';
import { z } from 'zod';
import type { ClientManager } from '../../mcp/index.js';
import type { Metrics } from '../../observability/metrics.js';
import { userIdOf } from '../authentication.js';
import { badRequest } from '../errors.js';

const CallToolBody = z.object({
  name: z.string().min(1, 'is required').max(256),
  arguments: z.record(z.string(), z.unknown()).default({}),
  timeoutMs: z.number().int().positive().max(3_600_000).optional(),
});

/** The AI bot's API: list a user's tools, call one for the user. */
export function botToolsRouter(manager: ClientManager, metrics: Metrics): Router {
  const router = Router();

  router.get('/api/v1/tools', async (_req, res) => {
    const { tools, errors } = await manager.getToolsForUser(userIdOf(res.locals));
    res.json({ tools, errors });
  });

  router.post('/api/v1/tools/call', async (req, res) => {
    const parsed = CallToolBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badRequest(
        `Body field ${issue.path.join('.') || '(root)'}: ${issue.message}. Expected {"name": string, "arguments": object}.`,
      );
    }
    const { name, arguments: args, timeoutMs } = parsed.data;
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const stop = metrics.toolCallDuration.startTimer();
    try {
      const result = await manager.callTool(userIdOf(res.locals), name, args, { signal: abort.signal, timeoutMs });
      stop({ outcome: result.isError ? 'tool_error' : 'ok' });
      res.json(result);
    } catch (error) {
      stop({ outcome: 'failed' });
      throw error;
    }
  });

  return router;
}
