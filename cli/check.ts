/**
 * `ficus check`: validates a config file without starting anything, listing every problem
 * with its file and line. Useful in CI before a deploy.
 */
import type { Command } from 'commander';
import { loadCliConfig, type CliContext } from './context.js';

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('validate a config file and list every problem with file and line')
    .option('-c, --config <path>', 'config file', 'ficus.yaml')
    .action((opts: { config: string }) => {
      const loaded = loadCliConfig<Record<string, unknown>>(ctx, opts.config);
      const sections = Object.keys(loaded.config).filter((k) => k !== 'version');
      ctx.stdout.write(`${opts.config}: ok (${sections.join(', ') || 'defaults only'})\n`);
    });
}
