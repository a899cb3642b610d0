/**
 * Restarts the real local database servers, for tests of what a bridge does when its source
 * goes away and comes back. Same commands test/services/*.sh use; run as the CI user (root).
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function restartPostgres(): Promise<void> {
  const version = readdirSync('/etc/postgresql').sort().pop()!;
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { timeout: 60_000 });
}

async function mariadbAnswers(): Promise<boolean> {
  try {
    await run('mysqladmin', ['-uroot', '-h127.0.0.1', 'ping'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Stops MariaDB, waits `downMs`, starts it again and waits until it answers. */
export async function restartMariadb(downMs = 0): Promise<void> {
  await run('mysqladmin', ['-uroot', '-h127.0.0.1', 'shutdown'], { timeout: 60_000 });
  for (let i = 0; i < 120 && (await mariadbAnswers()); i++) await sleep(250);
  await sleep(downMs);
  await run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'], { timeout: 30_000 });
  for (let i = 0; i < 240; i++) {
    if (await mariadbAnswers()) return;
    await sleep(250);
  }
  throw new Error('MariaDB did not come back within 60 s');
}

export async function kafka(action: 'start' | 'stop'): Promise<void> {
  await run('bash', [new URL('../../../test/services/kafka.sh', import.meta.url).pathname, action], { timeout: 180_000 });
}
