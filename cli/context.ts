/**
 * What every subcommand receives from the edge: the environment and the output streams, so
 * commands never reach for `process` themselves and tests can run them in-process.
 */
import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../core/config.js';

export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  readonly cwd: string;
  /** Resolves when the user asks a long-running command to stop (SIGINT/SIGTERM). */
  readonly shutdown: Promise<string>;
}

/** Default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG = 'ficus.yaml';

/** Loads the config named by `--config` (or `ficus.yaml`), substituting from the CLI's environment. */
export function loadCliConfig<T>(ctx: CliContext, configOption: string | undefined): LoadedConfig<T> {
  const file = configOption ?? DEFAULT_CONFIG;
  return loadConfig<T>(resolve(ctx.cwd, file), { env: ctx.env, displayName: file });
}
