/**
 * The bridge: reads transactions from a source, maps each change to business events, publishes
 * them, and only then records the checkpoint and acknowledges it to the source. That order is
 * the at-least-once guarantee: a crash at any point re-reads from the last acknowledged
 * checkpoint, and re-read changes get the same event ids. When the sink is down, publishing is
 * retried with backoff while the source waits (it stops reading), so nothing is dropped and
 * nothing piles up. When the source fails, it is restarted from the stored checkpoint.
 * The connector's lifecycle is an explicit transition table (`transitions`).
 */
import { channel } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';
import type { ChangeBatch, RoutedEvent, RowChange, Sink, SnapshotMode, Source } from './change.js';
import { toCloudEvent } from './envelope.js';
import type { BridgeMetrics } from './metrics.js';
import type { OffsetStore } from './state.js';

export const publishedChannel = channel('ficus:bridge:published');
export const stateChannel = channel('ficus:bridge:state');

export type ConnectorState = 'idle' | 'starting' | 'snapshotting' | 'streaming' | 'reconnecting' | 'stopping' | 'stopped' | 'failed';

/** Allowed connector state changes; anything else is a bug and throws. */
export const transitions: Readonly<Record<ConnectorState, readonly ConnectorState[]>> = Object.freeze({
  idle: ['starting', 'stopping'],
  starting: ['snapshotting', 'streaming', 'reconnecting', 'failed', 'stopping'],
  snapshotting: ['streaming', 'reconnecting', 'failed', 'stopping'],
  streaming: ['reconnecting', 'failed', 'stopping'],
  reconnecting: ['starting', 'failed', 'stopping'],
  stopping: ['stopped'],
  stopped: ['starting'],
  failed: ['starting', 'stopping'],
});

/** Maps a change to the business events it raises (bridges/mapping.ts). */
export interface ChangeMapper {
  map(change: RowChange): { type: string; topic: string }[];
}

export interface BridgeOptions {
  name: string;
  source: Source;
  sink: Sink;
  mapper: ChangeMapper;
  offsets: OffsetStore;
  snapshot: SnapshotMode;
  logger: Logger;
  metrics?: BridgeMetrics;
  /** Backoff for publish retries and source restarts. */
  retry?: { initialMs?: number; maxMs?: number };
  now?: () => number;
}

export interface BridgeStatus {
  name: string;
  state: ConnectorState;
  source: { kind: Source['kind']; database: string; position: string | null; lagBytes?: number; lagMs?: number };
  sink: Sink['kind'];
  checkpoint: string | null;
  eventsTotal: number;
  transactionsTotal: number;
  lastEventAt: string | null;
  publishRetries: number;
  reconnects: number;
  lastError: string | null;
}

export interface Bridge {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Promise<BridgeStatus>;
  readonly state: ConnectorState;
}

class StoppedError extends Error {}

export function createBridge(options: BridgeOptions): Bridge {
  const { name, source, sink, mapper, offsets, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const initialMs = options.retry?.initialMs ?? 200;
  const maxMs = options.retry?.maxMs ?? 30_000;
  const log = logger.child({ bridge: name, source: source.kind, sink: sink.kind });

  let state: ConnectorState = 'idle';
  let inFlight: Promise<void> = Promise.resolve();
  let stopSignal = new AbortController();
  let publishRetries = 0;
  let reconnects = 0;
  let lastError: string | null = null;
  let restarting = false;

  const moveTo = (next: ConnectorState): void => {
    if (next === state) return;
    if (!transitions[state].includes(next)) throw new Error(`bridge ${name}: illegal state change ${state} → ${next}`);
    metrics?.state.labels(state).set(0);
    metrics?.state.labels(next).set(1);
    log.debug({ from: state, to: next }, 'bridge state');
    if (stateChannel.hasSubscribers) stateChannel.publish({ bridge: name, from: state, to: next });
    state = next;
  };

  const backoff = (attempt: number): number => Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20)) * (0.5 + Math.random() / 2);

  async function publishWithRetry(events: RoutedEvent[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (stopSignal.signal.aborted) throw new StoppedError('stopping');
      try {
        await sink.publish(events);
        return;
      } catch (err) {
        publishRetries++;
        metrics?.retries.inc();
        lastError = err instanceof Error ? err.message : String(err);
        const wait = backoff(attempt);
        log.warn({ err: lastError, attempt: attempt + 1, retryInMs: Math.round(wait) }, 'publish failed; holding the source and retrying');
        try {
          await sleep(wait, undefined, { signal: stopSignal.signal });
        } catch {
          throw new StoppedError('stopping');
        }
      }
    }
  }

  async function handleBatch(batch: ChangeBatch): Promise<void> {
    if (batch.snapshot && state === 'starting') moveTo('snapshotting');
    if (!batch.snapshot && state === 'snapshotting') moveTo('streaming');
    const nowMs = now();
    const events: RoutedEvent[] = [];
    for (const change of batch.changes) {
      metrics?.changes.labels(change.op).inc();
      for (const { type, topic } of mapper.map(change)) {
        events.push({ event: toCloudEvent(change, type, source, batch.snapshot === true, nowMs), topic, key: JSON.stringify(change.key) });
      }
    }
    await publishWithRetry(events);
    const publishedAt = now();
    for (const e of events) metrics?.events.labels(e.event.type).inc();
    for (const c of batch.changes) if (c.commitTimeMs !== null && !batch.snapshot) metrics?.commitToSink.observe(publishedAt - c.commitTimeMs);
    const last = batch.changes[batch.changes.length - 1];
    if (last?.commitTimeMs != null && !batch.snapshot) metrics?.lagMs.set(publishedAt - last.commitTimeMs);
    // A snapshot is only done when its last chunk is: until then the checkpoint is not recorded,
    // so a crash mid-snapshot redoes it (same event ids) rather than skipping rows.
    if (!batch.snapshot || batch.snapshotDone) {
      offsets.save(name, source, batch.checkpoint, events.length, events.length ? new Date(publishedAt).toISOString() : null);
      await source.ack(batch.checkpoint);
      if (batch.snapshotDone) moveTo('streaming');
    }
    metrics?.batches.inc();
    if (publishedChannel.hasSubscribers) publishedChannel.publish({ bridge: name, events: events.length, checkpoint: batch.checkpoint });
  }

  const onBatch = (batch: ChangeBatch): Promise<void> => {
    const p = handleBatch(batch);
    inFlight = p.catch(() => undefined);
    return p;
  };

  const isFatal = (err: unknown): boolean => {
    const code = (err as { code?: string }).code;
    return code === 'FICUS_BR_UNKNOWN_TABLE' || code === 'FICUS_BR_SOURCE_NOT_READY' || code === 'FICUS_BR_CHECKPOINT' || code === 'FICUS_BR_EXPRESSION';
  };

  async function startSource(): Promise<void> {
    moveTo('starting');
    const checkpoint = offsets.resumeFrom(name, source);
    log.info({ checkpoint, snapshot: options.snapshot }, checkpoint === null ? 'starting from the beginning' : 'resuming from checkpoint');
    await source.start({ checkpoint, snapshot: options.snapshot, onBatch, onError });
    if (state === 'starting') moveTo('streaming');
  }

  function onError(err: Error): void {
    if (state === 'stopping' || state === 'stopped' || restarting) return;
    lastError = err.message;
    if (err instanceof StoppedError) return;
    log.warn({ err: err.message, code: (err as { code?: string }).code }, 'source failed; restarting from the last checkpoint');
    void restart();
  }

  async function restart(): Promise<void> {
    restarting = true;
    try {
      moveTo('reconnecting');
      await inFlight;
      await source.stop().catch(() => undefined);
      for (let attempt = 0; ; attempt++) {
        if (stopSignal.signal.aborted) return;
        try {
          await sleep(backoff(attempt), undefined, { signal: stopSignal.signal });
        } catch {
          return;
        }
        reconnects++;
        metrics?.reconnects.inc();
        try {
          await startSource();
          log.info({ attempt: attempt + 1 }, 'source reconnected');
          return;
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
          if (isFatal(err)) {
            log.error({ err: lastError }, 'source cannot be restarted');
            moveTo('failed');
            return;
          }
          await source.stop().catch(() => undefined);
          if (state === 'starting') moveTo('reconnecting');
          log.warn({ err: lastError, attempt: attempt + 1 }, 'reconnect failed; retrying');
        }
      }
    } finally {
      restarting = false;
    }
  }

  return {
    get state() {
      return state;
    },
    async start() {
      stopSignal = new AbortController();
      try {
        await startSource();
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        if (isFatal(err)) {
          moveTo('failed');
          await source.stop().catch(() => undefined);
          throw err;
        }
        // Not fatal (e.g. the database is still booting): keep trying in the background.
        log.warn({ err: lastError }, 'source not available yet; retrying');
        void restart();
      }
    },
    async stop() {
      if (state === 'stopped') return;
      stopSignal.abort();
      if (state !== 'stopping') moveTo('stopping');
      await source.stop().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'source stop failed'));
      await inFlight;
      moveTo('stopped');
    },
    async status() {
      const rec = offsets.load(name);
      let src: { position: string | null; lagBytes?: number; lagMs?: number } = { position: rec?.checkpoint ?? null };
      if (state === 'streaming' || state === 'snapshotting') {
        try {
          src = await source.status();
          if (src.lagBytes !== undefined) metrics?.lagBytes.set(src.lagBytes);
        } catch (err) {
          lastError = (err as Error).message;
        }
      }
      return {
        name,
        state,
        source: { kind: source.kind, database: source.database, ...src },
        sink: sink.kind,
        checkpoint: rec?.checkpoint ?? null,
        eventsTotal: rec?.eventsTotal ?? 0,
        transactionsTotal: rec?.batchesTotal ?? 0,
        lastEventAt: rec?.lastEventAt ?? null,
        publishRetries,
        reconnects,
        lastError,
      };
    },
  };
}
