/**
 * The one boundary between Ficus and the Anthropic SDK: it sends a Messages API request that
 * forces one tool call (structured output), marks the shared system prompt for prompt caching,
 * retries 429/529/5xx/connection failures with exponential backoff (honouring `retry-after`), and
 * translates every SDK error into a `FICUS_AN_LLM_*` error by class, never by message text.
 * The SDK's own retries are off (`maxRetries: 0`) so that attempts are counted and logged here.
 * Any endpoint that speaks the Messages API works through `baseURL`.
 */
import Anthropic, { APIConnectionError, APIError, AuthenticationError, InternalServerError, PermissionDeniedError, RateLimitError } from '@anthropic-ai/sdk';
import { LlmAuthError, LlmRequestError, LlmUnavailableError } from '../errors.js';

/** Token counts of one call, as the API reports them. */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

/** One forced tool call. */
export interface ToolCallRequest {
  /** The shared system prompt (sent as a cacheable block). */
  system: string;
  tool: { name: string; description: string; schema: Record<string, unknown> };
  user: string;
  maxTokens: number;
}

export interface ToolCallResult {
  /** The tool call's input as the model wrote it (unvalidated: `unknown` at the trust boundary), or undefined when it made none. */
  input: unknown;
  /** Why there is no input, when there is none (e.g. `stop_reason max_tokens, no tool_use block`). */
  problem?: string;
  usage: LlmUsage;
  /** Model id the endpoint says answered. */
  model: string;
  attempts: number;
}

/** What the enrichment needs from a model; tests and other providers implement it too. */
export interface LlmClient {
  readonly provider: string;
  readonly model: string;
  readonly baseURL: string;
  callTool(request: ToolCallRequest): Promise<ToolCallResult>;
}

export interface AnthropicClientOptions {
  apiKey: string;
  model: string;
  /** Defaults to the public API; gateways and compatible endpoints set it. */
  baseURL?: string;
  /** Retries after the first attempt for 429/529/5xx/connection errors. */
  maxRetries?: number;
  /** First backoff delay; doubled per retry, with jitter. */
  retryBaseMs?: number;
  /** Longest wait between attempts, also caps `retry-after`. */
  maxRetryDelayMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry (for logs). */
  onRetry?: (event: { attempt: number; delayMs: number; status: number | undefined }) => void;
}

export const DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** A client for the Anthropic Messages API (or any endpoint speaking it). */
export function createAnthropicClient(options: AnthropicClientOptions): LlmClient {
  const {
    apiKey,
    model,
    baseURL = DEFAULT_BASE_URL,
    maxRetries = 4,
    retryBaseMs = 1000,
    maxRetryDelayMs = 60_000,
    timeoutMs = 120_000,
    sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
    onRetry,
  } = options;
  // apiKey and baseURL always given explicitly: the SDK must not look at the environment itself.
  const sdk = new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: timeoutMs });

  return Object.freeze({
    provider: 'anthropic',
    model,
    baseURL,
    async callTool(request: ToolCallRequest): Promise<ToolCallResult> {
      for (let attempt = 1; ; attempt++) {
        try {
          const message = await sdk.messages.create({
            model,
            max_tokens: request.maxTokens,
            system: [{ type: 'text', text: request.system, cache_control: { type: 'ephemeral' } }],
            tools: [{ name: request.tool.name, description: request.tool.description, input_schema: request.tool.schema as Anthropic.Tool.InputSchema }],
            tool_choice: { type: 'tool', name: request.tool.name, disable_parallel_tool_use: true },
            messages: [{ role: 'user', content: request.user }],
          });
          const u = message.usage;
          const usage: LlmUsage = {
            inputTokens: u?.input_tokens ?? 0,
            outputTokens: u?.output_tokens ?? 0,
            cacheCreationInputTokens: u?.cache_creation_input_tokens ?? 0,
            cacheReadInputTokens: u?.cache_read_input_tokens ?? 0,
          };
          const block = (message.content ?? []).find((b) => b.type === 'tool_use' && b.name === request.tool.name);
          if (!block || block.type !== 'tool_use') {
            return { input: undefined, problem: `stop_reason ${String(message.stop_reason)}, no ${request.tool.name} tool call`, usage, model: message.model ?? model, attempts: attempt };
          }
          return { input: block.input as unknown, usage, model: message.model ?? model, attempts: attempt };
        } catch (err) {
          const retriable = isRetriable(err);
          if (retriable && attempt <= maxRetries) {
            const status = err instanceof APIError ? err.status : undefined;
            const backoff = Math.min(maxRetryDelayMs, retryBaseMs * 2 ** (attempt - 1) * (1 + Math.random() * 0.25));
            const delayMs = Math.min(maxRetryDelayMs, retryAfterMs(err) ?? backoff);
            onRetry?.({ attempt, delayMs, status });
            await sleep(delayMs);
            continue;
          }
          throw translateError(err, { baseURL, model, attempts: attempt });
        }
      }
    },
  });
}

/** 429 (rate limited), 529 (overloaded) and other 5xx, and connection failures are worth another attempt. */
function isRetriable(err: unknown): boolean {
  if (err instanceof RateLimitError || err instanceof InternalServerError || err instanceof APIConnectionError) return true;
  // Status-less classes aside, a 5xx that the SDK did not map to InternalServerError (or a 408).
  return err instanceof APIError && typeof err.status === 'number' && (err.status >= 500 || err.status === 408);
}

/** `retry-after-ms` or `retry-after` (seconds or an HTTP date) from the error's response headers. */
function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof APIError) || !err.headers) return undefined;
  const ms = Number(err.headers.get('retry-after-ms'));
  if (err.headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const value = err.headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** SDK error → Ficus error, by class. Anything unknown is re-thrown as it is (a bug, not an API answer). */
export function translateError(err: unknown, ctx: { baseURL: string; model: string; attempts: number }): Error {
  if (err instanceof AuthenticationError || err instanceof PermissionDeniedError) return new LlmAuthError(ctx.baseURL, err.status, err);
  if (isRetriable(err)) return new LlmUnavailableError(ctx.baseURL, err instanceof APIError ? err.status : undefined, ctx.attempts, err);
  if (err instanceof APIError) return new LlmRequestError(ctx.baseURL, ctx.model, err.status, err);
  return err instanceof Error ? err : new Error(String(err));
}
