/**
 * Errors the gateway raises, each with a stable `FICUS_GW_*` code (documented in
 * docs/errors.md). Admin API errors carry an HTTP status; upstream failures say which side
 * failed and are retriable.
 */
import { FicusError, type FicusErrorOptions } from '../core/errors.js';

/** Base for gateway errors; `statusCode` is what the admin API answers with. */
export class GatewayError extends FicusError {
  readonly statusCode: number;
  constructor(code: string, message: string, statusCode = 500, options: FicusErrorOptions = {}) {
    super(code, message, options);
    this.statusCode = statusCode;
  }
}

/** The admin listener would be reachable from other hosts without a token. */
export class AdminTokenRequiredError extends GatewayError {
  static readonly code = 'FICUS_GW_ADMIN_TOKEN_REQUIRED';
  constructor(address: string) {
    super(
      AdminTokenRequiredError.code,
      `gateway.admin is ${address}, which is not a loopback address, and no admin token is configured; set gateway.adminToken or FICUS_ADMIN_TOKEN, or bind the admin listener to 127.0.0.1`,
      500,
    );
  }
}

/** An admin call without a valid bearer token. */
export class AdminUnauthorizedError extends GatewayError {
  static readonly code = 'FICUS_GW_UNAUTHORIZED';
  constructor() {
    super(AdminUnauthorizedError.code, 'missing or invalid bearer token (Authorization: Bearer <token>)', 401);
  }
}

/** An admin call names a route that is not configured. */
export class RouteNotFoundError extends GatewayError {
  static readonly code = 'FICUS_GW_ROUTE_NOT_FOUND';
  constructor(id: string) {
    super(RouteNotFoundError.code, `no route with id '${id}'`, 404);
  }
}

/** A requested mode change is not allowed by the transition table (or lacks approval). */
export class TransitionRefusedError extends GatewayError {
  static readonly code = 'FICUS_GW_TRANSITION_REFUSED';
  constructor(id: string, reason: string) {
    super(TransitionRefusedError.code, `route '${id}': ${reason}`, 409);
  }
}

/** An admin request body or query is malformed. */
export class AdminBadRequestError extends GatewayError {
  static readonly code = 'FICUS_GW_BAD_REQUEST';
  constructor(message: string) {
    super(AdminBadRequestError.code, message, 400);
  }
}

/** An admin call names a discrepancy that does not exist (or was pruned). */
export class DiscrepancyNotFoundError extends GatewayError {
  static readonly code = 'FICUS_GW_DISCREPANCY_NOT_FOUND';
  constructor(id: number) {
    super(DiscrepancyNotFoundError.code, `no discrepancy with id ${id} (it may have been pruned)`, 404);
  }
}

/** A listener could not bind (port taken, bad address). */
export class ListenError extends GatewayError {
  static readonly code = 'FICUS_GW_LISTEN';
  constructor(what: string, address: string, cause: unknown) {
    const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    super(ListenError.code, `cannot listen for ${what} on ${address} (${reason})`, 500, { cause });
  }
}

/** The shadow worker thread (`gateway.shadow.worker`) did not start. */
export class ShadowWorkerError extends GatewayError {
  static readonly code = 'FICUS_GW_SHADOW_WORKER';
  constructor(script: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      ShadowWorkerError.code,
      `the shadow worker (gateway.shadow.worker: true) did not start from ${script} (${reason}); set gateway.shadow.worker to false to shadow on the main thread`,
      500,
      { cause },
    );
  }
}
