/**
 * A local stand-in for the Anthropic Messages API (the one thing that cannot run here): a
 * fastify server on port 0 implementing `POST /v1/messages` well enough for the real SDK —
 * tool-use answers with usage fields, error bodies (429 with retry-after, 529 overloaded, 401,
 * 400) — scripted per test by a function of the request. Every request body is kept so tests
 * can inspect what the model was sent.
 */
import type { TestContext } from 'node:test';
import Fastify from 'fastify';

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  system: { type: string; text: string; cache_control?: { type: string } }[];
  tools: { name: string; input_schema: unknown }[];
  tool_choice: { type: string; name?: string };
  messages: { role: string; content: string }[];
}

/** What the script answers: a tool call's input, or a raw HTTP answer. */
export type Scripted =
  | { tool: unknown; usage?: Partial<Usage> }
  | { text: string; usage?: Partial<Usage> }
  | { status: number; errorType: string; headers?: Record<string, string> };

interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface FakeApi {
  url: string;
  requests: MessagesRequest[];
  /** The user message of a request. */
  userText(i: number): string;
}

/** Starts the fake API; `script(request, index)` decides each answer. Closed in `t.after`. */
export async function fakeMessagesApi(t: TestContext, script: (req: MessagesRequest, index: number) => Scripted): Promise<FakeApi> {
  const app = Fastify();
  const requests: MessagesRequest[] = [];
  app.post('/v1/messages', async (request, reply) => {
    const body = request.body as MessagesRequest;
    const index = requests.length;
    requests.push(body);
    const answer = script(body, index);
    if ('status' in answer) {
      for (const [k, v] of Object.entries(answer.headers ?? {})) reply.header(k, v);
      // The SDK would retry on its own when told to; it is configured with maxRetries 0, and x-should-retry is left out.
      return reply.code(answer.status).send({ type: 'error', error: { type: answer.errorType, message: `scripted ${answer.errorType}` } });
    }
    const usage: Usage = { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...answer.usage };
    const content =
      'tool' in answer
        ? [{ type: 'tool_use', id: `toolu_${index}`, name: body.tools[0]!.name, input: answer.tool }]
        : [{ type: 'text', text: answer.text }];
    return {
      id: `msg_${index}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: 'tool' in answer ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage,
    };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  return { url, requests, userText: (i) => requests[i]!.messages[0]!.content };
}

/** An empty, valid `record_analysis` answer. */
export function emptyAnalysis(): { rules: never[]; glossary: never[]; proposals: never[]; operations: never[] } {
  return { rules: [], glossary: [], proposals: [], operations: [] };
}

/** The path of the file a request's user message analyzes (from its fence line). */
export function subjectOf(req: MessagesRequest): string | undefined {
  return /path="([^"]+)"/.exec(req.messages[0]?.content ?? '')?.[1];
}
