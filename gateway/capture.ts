/**
 * Captures the body of the response streamed to the client, up to a byte limit, so it can be
 * compared after the client has it. The client's stream is never delayed for the comparison: the
 * upstream stream goes to the client as it is, and the capture only watches the chunks that pass
 * (a second 'data' listener), keeping a copy while under the limit. No stream stage is added to
 * the client's path: a Transform in the pipe cost the proxy thread more than the copy itself.
 */
import type { Readable } from 'node:stream';

export type CaptureOutcome = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'error'; detail: string };

/**
 * Watches `source`, which the caller then sends to the client (piping it); returns the stream to
 * send (`source` itself) and a promise of the captured body. `source` is paused here so that the
 * capture's listener does not start the flow before the client's pipe is attached: the pipe
 * resumes it, and both see every chunk.
 */
export function captureBody(source: Readable, limit: number): { stream: Readable; body: Promise<CaptureOutcome> } {
  let settle!: (o: CaptureOutcome) => void;
  const body = new Promise<CaptureOutcome>((resolve) => {
    settle = resolve;
  });
  let chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let settled = false;
  const once = (o: CaptureOutcome) => {
    if (settled) return;
    settled = true;
    chunks = [];
    source.off('data', onData);
    settle(o);
  };
  const onData = (chunk: Buffer) => {
    if (overflow) return;
    size += chunk.length;
    if (size > limit) {
      overflow = true;
      chunks = [];
    } else chunks.push(chunk);
  };
  source.pause();
  source.on('data', onData);
  // A copy even for one chunk: the chunk may still be in a socket write to the client, and the
  // shadow worker takes the captured body's memory away from this thread.
  source.once('end', () => once(overflow ? { ok: false, reason: 'too_large', detail: `body over ${limit} bytes` } : { ok: true, body: Buffer.concat(chunks, size) }));
  source.once('error', (err) => once({ ok: false, reason: 'error', detail: err.message }));
  // Destroyed before its end (the client went away, or the upstream broke off).
  source.once('close', () => once({ ok: false, reason: 'error', detail: 'client stream closed before the body ended' }));
  return { stream: source, body };
}
