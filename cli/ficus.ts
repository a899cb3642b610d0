#!/usr/bin/env node
/** Entry point of the `ficus` binary: wires the process to `main` and sets the exit code. */
import { main } from './main.js';

const shutdown = new Promise<string>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
});

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  shutdown,
});
