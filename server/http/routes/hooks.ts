import { Router } from 'express';
import type { Logger } from 'pino';
import { configFromPluginSettings } from '../../config/plugin-settings.js';
import type { Config, ServerConfig } from '../../config/schema.js';
import type { ClientManager } from '../../mcp/index.js';
import { agentsToolConfigs } from '../../mcp-endpoint/agents-tool-configs.js';
import type { Metrics } from '../../observability/metrics.js';
import { callerSettingsPart } from '../caller-settings.js';

/**
 * Shares a config applied here, and the caller settings pushed with it, with the other replicas (`ConfigSync`); never
 * rejects.
 */
export interface ConfigPublisher {
  publish(config: Config, settings?: Readonly<Record<string, string | boolean>>): Promise<void>;
}

/**
 * Ends a user's OAuth connections to the given servers: revokes the tokens (RFC 7009 where offered) and deletes them.
 */
export interface UserConnections {
  disconnectAll(userId: string, servers: readonly ServerConfig[]): Promise<void>;
}

/** Plugin hooks the shim forwards as `POST /hooks/<Name>` (docs/sidecar-protocol.md). */
export function hooksRouter(
  manager: ClientManager,
  metrics: Metrics,
  logger: Logger,
  configPublisher?: ConfigPublisher,
  connections?: UserConnections,
): Router {
  const router = Router();

  // Validation before Mattermost saves: a 400 makes the shim refuse the save with this message.
  router.post('/hooks/ConfigurationWillBeSaved', (req, res) => {
    configFromPluginSettings(req.body?.settings);
    res.json({});
  });

  // A refused config leaves the running one in place (the error handler answers 400 naming the field).
  // Only a config that passed validation is published; the other replicas pick it up at their next poll.
  // The answer names the applied config's tool policies for the shim's registration with the Agents plugin.
  router.post('/hooks/OnConfigurationChange', async (req, res) => {
    let shared: Promise<void> | undefined;
    let config: Config;
    try {
      config = configFromPluginSettings(req.body?.settings);
      manager.reInit(config);
      // In the same tick as reInit: no poll can slip in between. A refused config shares nothing, not even
      // the caller settings applied here (the next accepted push carries them).
      shared = configPublisher?.publish(config, callerSettingsPart(req.body?.settings));
      metrics.configChanges.inc({ outcome: 'applied' });
      logger.info({ servers: config.servers.map((s) => s.name), enabled: config.enabled }, 'MCP configuration applied');
    } catch (error) {
      metrics.configChanges.inc({ outcome: 'rejected' });
      logger.warn(
        { reason: error instanceof Error ? error.message : String(error) },
        'MCP configuration refused; keeping the running one',
      );
      throw error;
    }
    await shared;
    res.json({ agentsToolConfigs: agentsToolConfigs(config) });
  });

  // A deactivated user's tokens are revoked and deleted (other replicas stop using them within seconds, see
  // TokenVault) and their sessions here close. The store failing is logged; the sessions close anyway.
  router.post('/hooks/UserHasBeenDeactivated', async (req, res) => {
    const userId = req.body?.user_id;
    if (typeof userId === 'string') {
      try {
        await connections?.disconnectAll(userId, manager.currentConfig.servers);
      } catch (error) {
        logger.warn(
          { userId, reason: error instanceof Error ? error.message : String(error) },
          "could not revoke and delete a deactivated user's tokens",
        );
      }
      manager.invalidateUser(userId);
    }
    res.json({});
  });

  router.post('/hooks/OnDeactivate', (_req, res) => {
    res.json({});
  });

  return router;
}
