/**
 * Validates docker-compose.infra.yml and the files it mounts, offline: services,
 * ports, volumes, the Prometheus scrape targets, the Grafana provisioning and the
 * "K2 Live" dashboard, whose metric names must be ones k2's source registers.
 * Then runs the compose CLI's own validation (`docker compose config`, or
 * docker-compose v1), skipped only when neither binary exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/cli.js';

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.infra.yml');
const composeText = readFileSync(COMPOSE_FILE, 'utf8');

interface Service {
  image?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string | number>;
  depends_on?: string[] | Record<string, { condition: string }>;
  extra_hosts?: string[];
  healthcheck?: { test: string[] | string };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}
const compose = parse(composeText) as ComposeFile;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}
/** Metric names registered anywhere in src/ (prom-client `name: 'k2_...'`). */
const registeredMetrics = new Set(
  sourceFiles(join(REPO_ROOT, 'src')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/['"](k2_[a-z0-9_]+)['"]/g)].map((m) => m[1]!)),
);

describe('docker-compose.infra.yml', () => {
  it('has Kafka (KRaft), Schema Registry, PostgreSQL, Prometheus and Grafana with pinned images', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'kafka', 'postgres', 'prometheus', 'schema-registry']);
    const images = Object.fromEntries(Object.entries(compose.services).map(([k, s]) => [k, s.image ?? '']));
    expect(images.kafka).toMatch(/^apache\/kafka:\d/);
    expect(images['schema-registry']).toMatch(/^confluentinc\/cp-schema-registry:\d/);
    expect(images.postgres).toMatch(/^postgres:\d/);
    expect(images.prometheus).toMatch(/^prom\/prometheus:v\d/);
    expect(images.grafana).toMatch(/^grafana\/grafana:\d/);
  });

  it('runs Kafka as a single KRaft node reachable on localhost:9092, with the scaling note', () => {
    const env = compose.services.kafka!.environment!;
    expect(String(env.KAFKA_PROCESS_ROLES)).toBe('broker,controller');
    expect(String(env.KAFKA_CONTROLLER_QUORUM_VOTERS)).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain('localhost:9092');
    expect(env).not.toHaveProperty('KAFKA_ZOOKEEPER_CONNECT');
    expect(Number(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR)).toBe(1);
    expect(composeText).toMatch(/Scaling to 3 nodes/);
    // the registry reaches Kafka on its internal listener
    const reg = compose.services['schema-registry']!.environment!;
    expect(String(reg.SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS)).toContain('kafka:29092');
    expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain('kafka:29092');
  });

  it('publishes the ports the README uses, each host port once', () => {
    const hostPorts = Object.entries(compose.services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ name, host: Number(String(p).split(':')[0]) })),
    );
    const byService = Object.fromEntries(hostPorts.map((p) => [p.name, p.host]));
    expect(byService).toEqual({ kafka: 9092, 'schema-registry': 8081, postgres: 5432, prometheus: 9090, grafana: 3000 });
    expect(new Set(hostPorts.map((p) => p.host)).size).toBe(hostPorts.length);
  });

  it('declares every named volume and mounts only files that exist in the repo', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const [src] = v.split(':');
        if (src!.startsWith('./')) expect(existsSync(join(REPO_ROOT, src!)), `${name} mounts ${src}`).toBe(true);
        else expect(compose.volumes, `${name} uses volume ${src}`).toHaveProperty(src!);
      }
    }
    expect(Object.keys(compose.volumes).sort()).toEqual(['grafana-data', 'kafka-data', 'postgres-data', 'prometheus-data']);
  });

  it('has health checks and dependency order for the stateful services', () => {
    for (const name of ['kafka', 'schema-registry', 'postgres']) expect(compose.services[name]!.healthcheck, name).toBeDefined();
    expect(compose.services['schema-registry']!.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    expect(compose.services.prometheus!.extra_hosts).toContain('host.docker.internal:host-gateway');
  });
});

describe('Prometheus and Grafana provisioning', () => {
  const prometheus = parse(readFileSync(join(REPO_ROOT, 'infra/prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
  };

  it('scrapes the k2 metrics ports on the host', () => {
    const targets = Object.fromEntries(prometheus.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((c) => c.targets)]));
    expect(targets['k2-stream']).toEqual(['host.docker.internal:9091']);
    expect(targets['k2-consume']).toEqual(['host.docker.internal:9094']);
    expect(targets['k2-serve']).toEqual(['host.docker.internal:8080']);
  });

  it('provisions the Prometheus datasource the dashboard uses, and a provider for the mounted dashboards', () => {
    const ds = parse(readFileSync(join(REPO_ROOT, 'infra/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    expect(ds.datasources).toEqual([expect.objectContaining({ uid: 'k2-prometheus', type: 'prometheus', url: 'http://prometheus:9090' })]);
    const provider = parse(readFileSync(join(REPO_ROOT, 'infra/grafana/provisioning/dashboards/k2.yml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const mount = compose.services.grafana!.volumes!.find((v) => v.startsWith('./infra/dashboards:'))!;
    expect(provider.providers[0]!.options.path).toBe(mount.split(':')[1]);
    expect(compose.services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${mount.split(':')[1]}/k2-live.json`);
  });

  it('"K2 Live" has the required panels, valid JSON, and queries only metrics k2 registers', () => {
    const dash = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/dashboards/k2-live.json'), 'utf8')) as {
      title: string;
      uid: string;
      panels: { id: number; title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    expect(dash.title).toBe('K2 Live');
    const byTitle = new Map(dash.panels.map((p) => [p.title, p.targets.map((t) => t.expr)]));
    expect(byTitle.get('Live BTC Price')).toEqual(['k2_last_trade_price{symbol="BTCUSDT"}']);
    expect(byTitle.get('Messages per second by symbol')).toEqual(['sum by (symbol) (rate(k2_binance_messages_received_total[1m]))']);
    expect(byTitle.get('Reconnects')!.join(' ')).toContain('k2_binance_reconnects_total');
    expect(byTitle.get('Gaps: missing and backfilled trades')!.join(' ')).toContain('k2_binance_gap_trades_total');
    expect(byTitle.get('Consumer lag')!.join(' ')).toContain('k2_consumer_lag_records');
    expect(byTitle.get('Iceberg commit latency')!.join(' ')).toContain('k2_iceberg_commit_duration_seconds_bucket');
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
    for (const p of dash.panels) expect(p.datasource.uid, p.title).toBe('k2-prometheus');
    const used = dash.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bk2_[a-z0-9_]+/g)].map((m) => m[0])));
    for (const metric of used) {
      const base = metric.replace(/_(bucket|sum|count)$/, '');
      expect(registeredMetrics.has(metric) || registeredMetrics.has(base), `${metric} is registered in src/`).toBe(true);
    }
  });
});

describe('compose CLI validation', () => {
  const hasPlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  const hasV1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
  const cli = hasPlugin ? { cmd: 'docker', args: ['compose'] } : hasV1 ? { cmd: 'docker-compose', args: [] } : null;
  if (cli === null) console.warn('compose CLI check skipped: neither `docker compose` nor `docker-compose` is installed');

  it.skipIf(cli === null)('accepts the file (`config` needs no daemon)', () => {
    const r = spawnSync(cli!.cmd, [...cli!.args, '-f', COMPOSE_FILE, 'config'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/error|invalid/i);
    expect(r.status).toBe(0);
    const resolved = parse(r.stdout) as ComposeFile;
    expect(Object.keys(resolved.services).sort()).toEqual(['grafana', 'kafka', 'postgres', 'prometheus', 'schema-registry']);
  });
});
