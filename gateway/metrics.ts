/**
 * Prometheus metrics for the admin listener's `GET /metrics` (prom-client, a registry per
 * gateway so two gateways in one process never mix). Per-route counters are bound to their
 * labels once, so the request path pays one addition per metric.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createGatewayMetrics() {
  const registry = new Registry();
  const requests = new Counter({ name: 'ficus_gateway_requests_total', help: 'Client requests by route and the side that served them', labelNames: ['route', 'served_by'], registers: [registry] });
  const comparisons = new Counter({ name: 'ficus_gateway_comparisons_total', help: 'Compared responses by route and result', labelNames: ['route', 'result'], registers: [registry] });
  const notCompared = new Counter({ name: 'ficus_gateway_not_compared_total', help: 'Requests selected for comparison that could not be compared, by reason', labelNames: ['route', 'reason'], registers: [registry] });
  const fallbacks = new Counter({ name: 'ficus_gateway_fallbacks_total', help: 'Requests replayed to legacy after modern failed', labelNames: ['route'], registers: [registry] });
  const upstreamErrors = new Counter({ name: 'ficus_gateway_upstream_errors_total', help: 'Upstream failures (connection, timeout, 5xx) by side', labelNames: ['route', 'side'], registers: [registry] });
  const modeChanges = new Counter({ name: 'ficus_gateway_mode_changes_total', help: 'Route mode/percent changes by actor', labelNames: ['route', 'actor'], registers: [registry] });
  const confidence = new Gauge({ name: 'ficus_gateway_confidence', help: 'Lower bound of the 95% interval on the match rate since the last step', labelNames: ['route'], registers: [registry] });
  const modernPercent = new Gauge({ name: 'ficus_gateway_modern_percent', help: 'Percent of requests routed to modern', labelNames: ['route'], registers: [registry] });
  const latencyDelta = new Histogram({
    name: 'ficus_gateway_paired_latency_delta_ms',
    help: 'Modern minus legacy latency for the same request, ms',
    labelNames: ['route'],
    buckets: [-500, -100, -25, -5, 0, 5, 25, 100, 500, 2000],
    registers: [registry],
  });
  const specChecks = new Counter({ name: 'ficus_gateway_spec_checks_total', help: 'Responses checked against the spec (gateway.specs), by route and side', labelNames: ['route', 'side'], registers: [registry] });
  const specViolations = new Counter({
    name: 'ficus_gateway_spec_violations_total',
    help: 'Spec violations by route, side and kind (status: undeclared status; schema: response breaks its declaration; request: the client request breaks the operation)',
    labelNames: ['route', 'side', 'kind'],
    registers: [registry],
  });
  const shadowLoad = new Gauge({ name: 'ficus_gateway_shadow_calls', help: 'Off-path upstream calls running or queued', labelNames: ['state'], registers: [registry] });
  return { registry, requests, comparisons, notCompared, fallbacks, upstreamErrors, modeChanges, confidence, modernPercent, latencyDelta, specChecks, specViolations, shadowLoad };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
