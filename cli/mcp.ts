/**
 * `ficus mcp`: serves the Model Context Protocol over stdio (mcp/server.ts) until the client
 * closes stdin or SIGINT/SIGTERM. stdout carries the protocol, so everything else (logs,
 * warnings) goes to stderr. The config file is optional: without one the server reads the
 * specs directory `specs` and nothing else.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { assertNoIssues } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { mcpOptions, type McpSourceConfig } from '../mcp/options.js';
import { createMcpServer } from '../mcp/server.js';
import { DEFAULT_CONFIG, loadCliConfig, type CliContext } from './context.js';

interface FicusConfig extends McpSourceConfig {
  log: { level: string; redact: string[] };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function registerMcp(program: Command, ctx: CliContext): void {
  program
    .command('mcp')
    .description('serve read-only tools and resources to AI agents over the Model Context Protocol (stdio)')
    .option('-c, --config <path>', `config file (default: ${DEFAULT_CONFIG} if present)`)
    .action(async (opts: { config?: string }) => {
      const useConfig = opts.config !== undefined || existsSync(resolve(ctx.cwd, DEFAULT_CONFIG));
      const loaded = useConfig ? loadCliConfig<FicusConfig>(ctx, opts.config) : undefined;
      const config: FicusConfig = loaded?.config ?? { log: { level: 'warn', redact: [] } };
      const options = mcpOptions(config, { env: ctx.env, cwd: ctx.cwd });
      if (loaded && config.mcp?.events?.kind === 'kafka' && options.events === undefined) {
        assertNoIssues([loaded.issue(['mcp', 'events', 'kind'], 'kafka needs brokers: set mcp.events.brokers or bridge.sink.brokers (got kafka)')]);
      }
      const logger = createLogger({ level: config.log.level, redact: config.log.redact });
      const server = createMcpServer(options, { logger, version: packageVersion() });
      // The protocol owns the process's stdio: this is the edge that hands the streams over.
      const transport = new StdioServerTransport(process.stdin, process.stdout);
      const closed = new Promise<string>((done) => {
        transport.onclose = () => done('transport closed');
        process.stdin.once('end', () => done('stdin closed'));
      });
      await server.connect(transport);
      logger.info({ specs: options.specsDir, events: options.events?.kind ?? null, gateway: options.gateway?.admin ?? null }, 'ficus mcp: serving on stdio');
      const why = await Promise.race([closed, ctx.shutdown]);
      logger.info({ why }, 'ficus mcp: closing');
      await server.close();
      logger.flush();
    });
}
