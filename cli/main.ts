/**
 * The `ficus` command: parses arguments with commander, runs one subcommand, and maps every
 * outcome to an exit code: 0 ok, 1 runtime failure, 2 bad input or bad config. Errors print as
 * one line per problem on stderr (never a bare stack trace). Subcommands live one per file
 * (`cli/check.ts`, ...) and register themselves through `commands` below.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigInvalidError, FicusError } from '../core/errors.js';
import { registerAnalyze } from './analyze.js';
import { registerBridge } from './bridge.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerGateway } from './gateway.js';
import { registerMcp } from './mcp.js';
import type { CliContext } from './context.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** Error codes that mean the user's input was wrong (exit 2) rather than a runtime failure. */
const badInputCode = /^FICUS_(CFG|CLI)_|_(INPUT|INVALID|USAGE)$/;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Subcommands, in the order `--help` lists them. Each lands with the issue that builds it. */
const commands: ((program: Command, ctx: CliContext) => void)[] = [registerAnalyze, registerGateway, registerBridge, registerMcp, registerCheck, registerDemo];

/** Runs the CLI in-process; resolves to the exit code. */
export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = new Command('ficus')
    .description('Strangler-fig modernization: analyze legacy code, shadow traffic through a gateway, bridge database changes to events.')
    .version(packageVersion(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: () => {
        /* printed once below, as a one-line message */
      },
    });
  for (const register of commands) register(program, ctx);

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    return reportError(err, ctx);
  }
}

function reportError(err: unknown, ctx: CliContext): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
    ctx.stderr.write(`ficus: ${err.message.replace(/^error: /, '')}\n`);
    return EXIT_BAD_INPUT;
  }
  if (err instanceof ConfigInvalidError) {
    ctx.stderr.write(`ficus: invalid configuration (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):\n`);
    ctx.stderr.write(err.message.split('\n').slice(1).map((l) => `  ${l}\n`).join(''));
    return EXIT_BAD_INPUT;
  }
  if (err instanceof FicusError) {
    ctx.stderr.write(`ficus: ${err.message} [${err.code}]\n`);
    return badInputCode.test(err.code) ? EXIT_BAD_INPUT : EXIT_FAILURE;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.stderr.write(`ficus: unexpected failure: ${message}\n`);
  if (ctx.env.FICUS_DEBUG && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
  return EXIT_FAILURE;
}
