/**
 * Prometheus metrics of one bridge (a registry per bridge): throughput, retries, and lag,
 * served on the bridge listener's `/metrics`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createBridgeMetrics(bridge: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ bridge });
  return {
    registry,
    events: new Counter({ name: 'ficus_bridge_events_total', help: 'Events durably published, by business type', labelNames: ['type'], registers: [registry] }),
    changes: new Counter({ name: 'ficus_bridge_changes_total', help: 'Row changes read from the source', labelNames: ['op'], registers: [registry] }),
    batches: new Counter({ name: 'ficus_bridge_transactions_total', help: 'Source transactions (or snapshot chunks) published and checkpointed', registers: [registry] }),
    retries: new Counter({ name: 'ficus_bridge_publish_retries_total', help: 'Publish attempts that failed and were retried (nothing is dropped)', registers: [registry] }),
    reconnects: new Counter({ name: 'ficus_bridge_source_reconnects_total', help: 'Times the source was restarted after an error', registers: [registry] }),
    lagMs: new Gauge({ name: 'ficus_bridge_lag_ms', help: 'Now minus the commit time of the last published change', registers: [registry] }),
    lagBytes: new Gauge({ name: 'ficus_bridge_source_lag_bytes', help: 'Bytes of source log not yet acknowledged (PostgreSQL WAL, MySQL binlog)', registers: [registry] }),
    commitToSink: new Histogram({
      name: 'ficus_bridge_commit_to_sink_ms',
      help: 'Source commit to durable publish, ms',
      buckets: [5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000],
      registers: [registry],
    }),
    state: new Gauge({ name: 'ficus_bridge_state', help: '1 for the connector state the bridge is in', labelNames: ['state'], registers: [registry] }),
  };
}

export type BridgeMetrics = ReturnType<typeof createBridgeMetrics>;
