/**
 * Where tests find the real services they run against (PostgreSQL, MariaDB,
 * Kafka), and what happens when one is not configured.
 *
 * test/services/up.sh starts the services and prints FICUS_TEST_PG,
 * FICUS_TEST_MYSQL and FICUS_TEST_KAFKA. A test asks for one with
 * {@link serviceOrSkip} at module or describe level:
 *
 * ```ts
 * const postgres = serviceOrSkip('pg');
 * test('reads a change', { skip: postgres.skip }, async (t) => {
 *   const client = new pg.Client({ connectionString: postgres.url }); // ...
 * });
 * ```
 *
 * Outside CI a missing variable skips the test with a reason that says how to
 * fix it. Under CI=true it never skips: a skipped integration test is a
 * silent hole in the suite, so the run fails with a test named after the
 * missing variable.
 *
 * This file reads process.env, as the edge of the test suite; everything is
 * injectable for the helper's own use.
 */
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';

/** The services test/services/up.sh provides. */
export type ServiceName = 'kafka' | 'pg' | 'mysql';

/** The variable that names each service's address. */
export const serviceEnv: Readonly<Record<ServiceName, string>> = Object.freeze({
  kafka: 'FICUS_TEST_KAFKA',
  pg: 'FICUS_TEST_PG',
  mysql: 'FICUS_TEST_MYSQL',
});

/** What {@link serviceOrSkip} hands back. */
export interface ServiceHandle {
  readonly name: ServiceName;
  /** The environment variable read, e.g. `FICUS_TEST_PG`. */
  readonly env: string;
  /** `false` when configured; otherwise the reason, ready for `test(name, { skip })`. */
  readonly skip: string | false;
  /**
   * The configured address: a `postgres://` or `mysql://` URL, or Kafka
   * `host:port[,host:port...]`. Throws when the service is not configured,
   * which only a test that ignored `skip` can see.
   */
  readonly url: string;
}

/** Raised when a service variable is missing under CI, or malformed anywhere. */
export class ServiceConfigError extends Error {
  readonly code = 'FICUS_TEST_SERVICE_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ServiceConfigError';
  }
}

export interface ServiceOrSkipOptions {
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * How to make the run fail when a service cannot be used and skipping is
   * not allowed. Defaults to registering a failing node:test test named
   * after the variable, so the report says exactly what is missing.
   */
  fail?: (title: string, error: ServiceConfigError) => void;
}

const registerFailingTest = (title: string, error: ServiceConfigError): void => {
  test(title, () => {
    throw error;
  });
};

const hint = 'run `eval "$(bash test/services/up.sh)"`';

/**
 * Look up a service for the tests that follow. Call it at module or describe
 * level (not inside a running test): under CI it may register a failing test.
 */
export function serviceOrSkip(name: ServiceName, options: ServiceOrSkipOptions = {}): ServiceHandle {
  const env = options.env ?? process.env;
  const fail = options.fail ?? registerFailingTest;
  const variable = serviceEnv[name];
  const raw = env[variable]?.trim() ?? '';

  const unusable = (reason: string, mustFail: boolean): ServiceHandle => {
    const title = `${variable} is set and usable`;
    if (mustFail) fail(title, new ServiceConfigError(reason));
    return {
      name,
      env: variable,
      skip: mustFail ? `${variable} unusable, see the failing test "${title}"` : reason,
      get url(): string {
        throw new ServiceConfigError(reason);
      },
    };
  };

  if (raw === '') {
    const inCi = env.CI === 'true';
    const reason = inCi
      ? `${variable} not set, and CI=true forbids skipping service tests (${hint} before npm test)`
      : `${variable} not set (${hint})`;
    return unusable(reason, inCi);
  }

  const problem = validate(name, raw);
  if (problem !== undefined) {
    // A typo is never a reason to skip: the developer meant to run these.
    return unusable(`${variable}=${JSON.stringify(raw)} ${problem}`, true);
  }

  return Object.freeze({ name, env: variable, skip: false as const, url: raw });
}

function validate(name: ServiceName, raw: string): string | undefined {
  if (name === 'kafka') {
    const ok = raw.split(',').every((broker) => /^[^\s:/,]+:\d{1,5}$/.test(broker.trim()));
    return ok ? undefined : 'is not a host:port[,host:port...] broker list';
  }
  const protocols = name === 'pg' ? ['postgres:', 'postgresql:'] : ['mysql:'];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  return protocols.includes(url.protocol) ? undefined : `should start with ${protocols[0]}//`;
}

/**
 * A name no other test or run will pick: `<prefix>_<16 hex chars>`, valid
 * unquoted as a PostgreSQL or MariaDB identifier, a replication slot name and
 * a Kafka topic. Keep prefixes short: PostgreSQL cuts identifiers at 63 bytes.
 */
export function randomName(prefix: string): string {
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(prefix)) {
    throw new ServiceConfigError(
      `randomName prefix ${JSON.stringify(prefix)} must match [a-z][a-z0-9_]{0,39}`,
    );
  }
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

/**
 * Go-style `defer` for a test: cleanups run last-registered-first, after the
 * test, each even if an earlier one threw. node:test runs `t.after` hooks in
 * registration order, which closes a connection before the table, slot or
 * consumer opened on it can be cleaned up.
 *
 * ```ts
 * const defer = cleanupStack(t);
 * await client.connect();
 * defer(() => client.end());                 // runs last
 * defer(() => client.query('DROP TABLE x')); // runs first
 * ```
 */
export function cleanupStack(t: Pick<TestContext, 'after'>): (cleanup: () => unknown) => void {
  const stack: Array<() => unknown> = [];
  t.after(async () => {
    const failures: unknown[] = [];
    for (let cleanup = stack.pop(); cleanup !== undefined; cleanup = stack.pop()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} test cleanups failed`);
  });
  return (cleanup) => {
    stack.push(cleanup);
  };
}
