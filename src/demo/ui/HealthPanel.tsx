/** @jsxRuntime automatic */
/** @jsxImportSource react */
/**
 * Pipeline health: WebSocket state, reconnects, gaps backfilled, bus lag, rows in
 * Iceberg, last commit age and freshness (receipt → queryable). A figure a part
 * has not produced yet says so ("waiting for first commit", "not wired"), never 0.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { formatAge, formatCount, padRight } from '../format.js';
import type { Micros } from '../../model/trade.js';
import type { ConnectionState, PipelineHealth } from '../types.js';
import { Panel } from './Panel.js';

export interface HealthPanelProps {
  health: PipelineHealth;
  now: Micros;
}

const STATE_COLOR: Record<ConnectionState, string> = { open: 'green', connecting: 'yellow', reconnecting: 'yellow', closed: 'red' };

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box>
      <Box width={18} flexShrink={0}>
        <Text color="gray">{padRight(label, 18)}</Text>
      </Box>
      <Text wrap="truncate-end">{children}</Text>
    </Box>
  );
}

function notWired(health: PipelineHealth, component: string): string | null {
  const c = health.components.find((x) => x.name === component);
  return c !== undefined && c.state !== 'running' ? c.state : null;
}

/** ws://host:port/stream?streams=a/b/c -> ws://host:port (3 streams) */
export function shortUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const streams = new URLSearchParams(url.slice(q + 1)).get('streams');
  const base = url.slice(0, q).replace(/\/stream$/, '');
  return streams === null ? base : `${base} (${streams.split('/').length} streams)`;
}

export function HealthPanel({ health, now }: HealthPanelProps) {
  const busMissing = notWired(health, 'bus');
  const icebergMissing = notWired(health, 'iceberg');
  const commitAge = health.lastCommitAt === null ? null : Number(now - health.lastCommitAt) / 1000;
  return (
    <Panel title="Pipeline health">
      <Row label="WebSocket">
        <Text color={STATE_COLOR[health.connection]}>{health.connection}</Text>
        <Text color="gray">{`  ${shortUrl(health.url)}`}</Text>
      </Row>
      <Row label="reconnects">{formatCount(health.reconnects)}</Row>
      <Row label="gaps backfilled">
        {`${formatCount(health.gapsBackfilled)} trades`}
        {health.gapsOpen > 0 ? <Text color="yellow">{`  (${formatCount(health.gapsOpen)} missing ids open)`}</Text> : null}
      </Row>
      <Row label="bus lag">{health.busLag !== null ? `${formatCount(health.busLag)} records` : <Text color="gray">{busMissing ?? 'waiting for the consumer'}</Text>}</Row>
      <Row label="rows in Iceberg">
        {health.icebergRows !== null ? formatCount(health.icebergRows) : <Text color="gray">{icebergMissing ?? 'waiting for first commit'}</Text>}
      </Row>
      <Row label="last commit">{commitAge !== null ? `${formatAge(commitAge)} ago` : <Text color="gray">waiting for first commit</Text>}</Row>
      <Row label="freshness">
        {health.freshness !== null ? (
          `receipt → queryable last ${formatAge(health.freshness.lastMs)}, p99 ${formatAge(health.freshness.p99Ms)}`
        ) : (
          <Text color="gray">{icebergMissing ?? 'waiting for first commit'}</Text>
        )}
      </Row>
    </Panel>
  );
}
