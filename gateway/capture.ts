/**
 * Captures the body of the response streamed to the client, up to a byte limit, so it can be
 * compared after the client has it. The client's stream is never delayed for the comparison:
 * chunks pass straight through, and a copy is kept only while under the limit.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';

export type CaptureOutcome = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'error'; detail: string };

class CaptureStream extends Transform {
  private chunks: Buffer[] = [];
  private size = 0;
  private overflow = false;
  constructor(
    private readonly limit: number,
    private readonly done: (o: CaptureOutcome) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.overflow) {
      this.size += chunk.length;
      if (this.size > this.limit) {
        this.overflow = true;
        this.chunks = [];
      } else this.chunks.push(chunk);
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    this.done(this.overflow ? { ok: false, reason: 'too_large', detail: `body over ${this.limit} bytes` } : { ok: true, body: Buffer.concat(this.chunks, this.size) });
    cb();
  }
}

/** Returns the stream to send to the client and a promise of the captured body. */
export function captureBody(source: Readable, limit: number): { stream: Readable; body: Promise<CaptureOutcome> } {
  let settle!: (o: CaptureOutcome) => void;
  const body = new Promise<CaptureOutcome>((resolve) => {
    settle = resolve;
  });
  let settled = false;
  const once = (o: CaptureOutcome) => {
    if (!settled) {
      settled = true;
      settle(o);
    }
  };
  const capture = new CaptureStream(limit, once);
  source.on('error', (err) => {
    once({ ok: false, reason: 'error', detail: err.message });
    capture.destroy(err);
  });
  capture.on('close', () => once({ ok: false, reason: 'error', detail: 'client stream closed before the body ended' }));
  source.pipe(capture);
  return { stream: capture, body };
}
