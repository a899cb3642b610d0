/**
 * `ficus gateway`: runs the shadowing gateway from `ficus.yaml` until SIGINT/SIGTERM, then
 * closes cleanly (in-flight comparisons settle, route state is flushed to the store).
 */
import type { Command } from 'commander';
import { assertNoIssues } from '../core/config.js';
import { ConfigInvalidError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { gatewayOptions, type GatewayConfig } from '../gateway/options.js';
import { createGateway } from '../gateway/server.js';
import { loadCliConfig, type CliContext } from './context.js';

interface FicusConfig {
  store: { path: string };
  log: { level: string; redact: string[] };
  gateway?: GatewayConfig;
}

export function registerGateway(program: Command, ctx: CliContext): void {
  program
    .command('gateway')
    .description('run the gateway: proxy to legacy, shadow to modern, compare, promote step by step')
    .option('-c, --config <path>', 'config file', 'ficus.yaml')
    .action(async (opts: { config: string }) => {
      const loaded = loadCliConfig<FicusConfig>(ctx, opts.config);
      const { config } = loaded;
      if (!config.gateway) {
        throw new ConfigInvalidError([{ file: opts.config, line: 1, path: 'gateway', message: 'is required to run the gateway (see README: Gateway)' }]);
      }
      const { options, issues } = gatewayOptions(loaded, config.gateway, { storePath: config.store.path, env: ctx.env, cwd: ctx.cwd });
      assertNoIssues(issues);
      const logger = createLogger({ level: config.log.level, redact: config.log.redact });
      const gateway = await createGateway(options, { logger });
      try {
        const urls = await gateway.listen();
        ctx.stdout.write(`ficus gateway: proxy ${urls.proxy} → legacy ${options.upstreams.legacy}, shadow ${options.upstreams.modern}; admin ${urls.admin}; ${options.routes.length} route(s)\n`);
        const signal = await ctx.shutdown;
        ctx.stdout.write(`ficus gateway: ${signal}, closing\n`);
      } finally {
        await gateway.close();
        logger.flush();
      }
    });
}
