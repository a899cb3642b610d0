/**
 * HTTP status codes as ASP.NET code spells them: `StatusCodes.Status404NotFound`,
 * `HttpStatusCode.NotFound`, `(int)HttpStatusCode.Created`, literals; and the status each
 * result helper produces — `ControllerBase` methods (`NotFound()`, `CreatedAtAction(...)`),
 * `Results`/`TypedResults` factories, `IActionResult` classes (`new NotFoundObjectResult(...)`)
 * and typed minimal-API results (`Results<Ok<T>, NotFound>`).
 */
import type { SyntaxNode } from '../service/tree-sitter.js';
import { intValue } from './syntax.js';

/** `System.Net.HttpStatusCode` member → code. */
const HTTP_STATUS_CODE: Record<string, number> = {
  Continue: 100, SwitchingProtocols: 101, OK: 200, Created: 201, Accepted: 202, NonAuthoritativeInformation: 203,
  NoContent: 204, ResetContent: 205, PartialContent: 206, MultipleChoices: 300, Ambiguous: 300, MovedPermanently: 301,
  Moved: 301, Found: 302, Redirect: 302, SeeOther: 303, RedirectMethod: 303, NotModified: 304, TemporaryRedirect: 307,
  RedirectKeepVerb: 307, PermanentRedirect: 308, BadRequest: 400, Unauthorized: 401, PaymentRequired: 402, Forbidden: 403,
  NotFound: 404, MethodNotAllowed: 405, NotAcceptable: 406, RequestTimeout: 408, Conflict: 409, Gone: 410,
  LengthRequired: 411, PreconditionFailed: 412, RequestEntityTooLarge: 413, UnsupportedMediaType: 415,
  UnprocessableEntity: 422, UnprocessableContent: 422, Locked: 423, FailedDependency: 424, PreconditionRequired: 428,
  TooManyRequests: 429, InternalServerError: 500, NotImplemented: 501, BadGateway: 502, ServiceUnavailable: 503,
  GatewayTimeout: 504,
};

/** The code of a status expression, or undefined when it is not a constant one. */
export function statusOf(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  const literal = intValue(node);
  if (literal !== undefined) return literal >= 100 && literal <= 599 ? literal : undefined;
  if (node.type === 'cast_expression' || node.type === 'parenthesized_expression') return statusOf(node.childForFieldName('value') ?? node.namedChildren[node.namedChildren.length - 1]);
  const text = node.text.replace(/\s+/g, '');
  const sc = /(?:^|\.)Status(\d{3})[A-Za-z]*$/.exec(text);
  if (sc) return Number(sc[1]);
  const hs = /(?:^|\.)HttpStatusCode\.([A-Za-z]+)$/.exec(text);
  if (hs) return HTTP_STATUS_CODE[hs[1]!];
  return undefined;
}

/**
 * What a `ControllerBase` helper or a `Results`/`TypedResults` factory returns: status, and
 * which argument (if any) is the body. `statusArg` names the argument holding the status.
 */
export interface ResultHelper {
  status: number;
  /** Index of the positional argument that is the response body. */
  bodyArg?: number;
  /** Named argument that is the body (`value:`). */
  bodyName?: string;
  /** The status is in an argument: positional index, or named `statusCode`. */
  statusArg?: number;
  contentType?: string;
}

const H = (status: number, bodyArg?: number, extra: Partial<ResultHelper> = {}): ResultHelper => ({ status, ...(bodyArg !== undefined ? { bodyArg } : {}), ...extra });

/** `ControllerBase` / `Controller` / Web API 2 `ApiController` helper methods. */
export const CONTROLLER_HELPERS: Record<string, ResultHelper> = {
  Ok: H(200, 0),
  Json: H(200, 0),
  Content: H(200, undefined, { contentType: 'text/plain' }),
  File: H(200, undefined, { contentType: 'application/octet-stream' }),
  PhysicalFile: H(200, undefined, { contentType: 'application/octet-stream' }),
  VirtualFile: H(200, undefined, { contentType: 'application/octet-stream' }),
  Created: H(201, 1),
  CreatedAtAction: H(201, 2),
  CreatedAtRoute: H(201, 1),
  Accepted: H(202, 0),
  AcceptedAtAction: H(202, 2),
  AcceptedAtRoute: H(202, 1),
  NoContent: H(204),
  Redirect: H(302),
  RedirectToAction: H(302),
  RedirectToRoute: H(302),
  RedirectToPage: H(302),
  LocalRedirect: H(302),
  RedirectPermanent: H(301),
  LocalRedirectPermanent: H(301),
  RedirectPreserveMethod: H(307),
  RedirectPermanentPreserveMethod: H(308),
  BadRequest: H(400, 0),
  ValidationProblem: H(400, undefined, { contentType: 'application/problem+json' }),
  Unauthorized: H(401, 0),
  Challenge: H(401),
  Forbid: H(403),
  NotFound: H(404, 0),
  Conflict: H(409, 0),
  UnprocessableEntity: H(422, 0),
  Problem: H(500, undefined, { contentType: 'application/problem+json' }),
  StatusCode: H(0, 1, { statusArg: 0 }),
  // Web API 2 (System.Web.Http.ApiController).
  InternalServerError: H(500),
  ResponseMessage: H(0),
};

/** `Results.*` and `TypedResults.*` (minimal APIs). */
export const RESULTS_FACTORIES: Record<string, ResultHelper> = {
  Ok: H(200, 0),
  Json: H(200, 0),
  Text: H(200, undefined, { contentType: 'text/plain' }),
  Content: H(200, undefined, { contentType: 'text/plain' }),
  Bytes: H(200, undefined, { contentType: 'application/octet-stream' }),
  Stream: H(200, undefined, { contentType: 'application/octet-stream' }),
  File: H(200, undefined, { contentType: 'application/octet-stream' }),
  PhysicalFile: H(200, undefined, { contentType: 'application/octet-stream' }),
  Created: H(201, 1),
  CreatedAtRoute: H(201, 2),
  Accepted: H(202, 1),
  AcceptedAtRoute: H(202, 2),
  NoContent: H(204),
  Redirect: H(302),
  LocalRedirect: H(302),
  RedirectToRoute: H(302),
  BadRequest: H(400, 0),
  ValidationProblem: H(400, undefined, { contentType: 'application/problem+json' }),
  Unauthorized: H(401),
  Challenge: H(401),
  Forbid: H(403),
  NotFound: H(404, 0),
  Conflict: H(409, 0),
  UnprocessableEntity: H(422, 0),
  InternalServerError: H(500, 0),
  Problem: H(500, undefined, { contentType: 'application/problem+json' }),
  StatusCode: H(0, undefined, { statusArg: 0 }),
};

/** `IActionResult` classes created with `new` (`new NotFoundObjectResult(x)`). */
export const RESULT_CLASSES: Record<string, ResultHelper> = {
  OkResult: H(200),
  OkObjectResult: H(200, 0),
  JsonResult: H(200, 0),
  ContentResult: H(200, undefined, { contentType: 'text/plain' }),
  FileContentResult: H(200, undefined, { contentType: 'application/octet-stream' }),
  FileStreamResult: H(200, undefined, { contentType: 'application/octet-stream' }),
  CreatedResult: H(201, 1),
  CreatedAtActionResult: H(201, 3),
  CreatedAtRouteResult: H(201, 2),
  AcceptedResult: H(202, 1),
  NoContentResult: H(204),
  BadRequestResult: H(400),
  BadRequestObjectResult: H(400, 0),
  UnauthorizedResult: H(401),
  UnauthorizedObjectResult: H(401, 0),
  ForbidResult: H(403),
  NotFoundResult: H(404),
  NotFoundObjectResult: H(404, 0),
  ConflictResult: H(409),
  ConflictObjectResult: H(409, 0),
  UnprocessableEntityResult: H(422),
  UnprocessableEntityObjectResult: H(422, 0),
  StatusCodeResult: H(0, undefined, { statusArg: 0 }),
  ObjectResult: H(200, 0),
  RedirectResult: H(302),
  // Web API 2 IHttpActionResult classes.
  OkNegotiatedContentResult: H(200, 0),
  BadRequestErrorMessageResult: H(400, 0),
  InternalServerErrorResult: H(500),
};

/** Typed minimal-API results as return types (`Ok<T>`, `NotFound`, `Results<Ok<T>, NotFound>`). */
export const TYPED_RESULTS: Record<string, { status: number; body: boolean; contentType?: string }> = {
  Ok: { status: 200, body: true },
  JsonHttpResult: { status: 200, body: true },
  Created: { status: 201, body: true },
  CreatedAtRoute: { status: 201, body: true },
  Accepted: { status: 202, body: true },
  AcceptedAtRoute: { status: 202, body: true },
  NoContent: { status: 204, body: false },
  BadRequest: { status: 400, body: true },
  UnauthorizedHttpResult: { status: 401, body: false },
  ForbidHttpResult: { status: 403, body: false },
  NotFound: { status: 404, body: true },
  Conflict: { status: 409, body: true },
  UnprocessableEntity: { status: 422, body: true },
  InternalServerError: { status: 500, body: true },
  ValidationProblem: { status: 400, body: false, contentType: 'application/problem+json' },
  ProblemHttpResult: { status: 500, body: false, contentType: 'application/problem+json' },
  FileContentHttpResult: { status: 200, body: false, contentType: 'application/octet-stream' },
  FileStreamHttpResult: { status: 200, body: false, contentType: 'application/octet-stream' },
  PhysicalFileHttpResult: { status: 200, body: false, contentType: 'application/octet-stream' },
  ContentHttpResult: { status: 200, body: false, contentType: 'text/plain' },
  RedirectHttpResult: { status: 302, body: false },
};
