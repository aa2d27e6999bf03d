/**
 * Where the bus lives: Kafka bootstrap brokers and the schema registry URL.
 *
 *   interface BusEndpoints { brokers: string[]; registryUrl: string }
 *   resolveRegistryUrl(flag?: string, env = process.env): string
 *
 * The registry URL comes from --registry, else K2_REGISTRY_URL, else
 * http://localhost:8081 (Confluent's default port).
 */
import { z } from 'zod';
import { parseSetting } from '../config/global-options.js';

export interface BusEndpoints {
  /** Kafka bootstrap servers, `host:port`. */
  brokers: string[];
  /** Confluent-compatible schema registry base URL, without a trailing slash. */
  registryUrl: string;
}

export const DEFAULT_REGISTRY_URL = 'http://localhost:8081';

export function resolveRegistryUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env.K2_REGISTRY_URL ?? DEFAULT_REGISTRY_URL;
  const source = flag !== undefined ? '--registry' : env.K2_REGISTRY_URL !== undefined ? 'K2_REGISTRY_URL' : 'default';
  const url = parseSetting(z.string().trim().url().refine((u) => /^https?:\/\//.test(u)), raw, source, 'an http(s) URL such as http://localhost:8081');
  return url.replace(/\/+$/, '');
}
