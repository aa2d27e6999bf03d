/**
 * k2's Confluent Schema Registry subset over node:http (Avro only):
 *
 *   POST /subjects/{s}/versions                      register; same schema -> existing id
 *   POST /subjects/{s}                               look up a schema in a subject
 *   GET  /schemas/ids/{id}
 *   GET  /subjects
 *   GET  /subjects/{s}/versions[/{v}|/latest]
 *   POST /compatibility/subjects/{s}/versions/{v|latest}
 *   GET|PUT /config[/{s}]
 *
 * Errors use Confluent's JSON shape {error_code, message}: 40401 subject not
 * found, 40402 version not found, 40403 schema not found, 409 incompatible,
 * 42201 invalid schema, 42202 invalid version, 42203 invalid compatibility level.
 *
 *   const reg = await SchemaRegistryServer.start({ dataDir, host?, port?, logger });  // reg.url, reg.close()
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../log/logger.js';
import { checkCompatibility, parseAvro, schemaIdentity } from './compatibility.js';
import { COMPATIBILITY_LEVELS, RegistryStore, type CompatibilityLevel } from './registry-store.js';

export interface SchemaRegistryServerOptions {
  dataDir: string;
  host?: string;
  /** 0 = ephemeral; default 8081. */
  port?: number;
  logger: Logger;
}

const MAX_BODY = 2 * 1024 * 1024;
const SchemaBody = z.object({ schema: z.string().min(1), schemaType: z.string().optional() });
const ConfigBody = z.object({ compatibility: z.enum(COMPATIBILITY_LEVELS) });

class HttpError extends Error {
  constructor(readonly status: number, readonly errorCode: number, message: string) {
    super(message);
  }
}

type Handler = (params: string[], body: unknown, query: URLSearchParams) => unknown;

export class SchemaRegistryServer {
  private readonly routes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [];

  private constructor(private readonly store: RegistryStore, private readonly logger: Logger, private server: Server | null = null, public url = '') {
    this.route('GET', /^\/subjects$/, () => this.store.subjectNames());
    this.route('POST', /^\/subjects\/([^/]+)\/versions$/, ([s], body) => this.register(s!, body));
    this.route('POST', /^\/subjects\/([^/]+)$/, ([s], body) => this.lookup(s!, body));
    this.route('GET', /^\/subjects\/([^/]+)\/versions$/, ([s]) => this.subjectVersions(s!).map((v) => v.version));
    this.route('GET', /^\/subjects\/([^/]+)\/versions\/([^/]+)$/, ([s, v]) => this.version(s!, v!));
    this.route('GET', /^\/subjects\/([^/]+)\/versions\/([^/]+)\/schema$/, ([s, v]) => JSON.parse(this.version(s!, v!).schema) as unknown);
    this.route('GET', /^\/schemas\/ids\/(\d+)$/, ([id]) => {
      const schema = this.store.schemaById(Number(id));
      if (schema === undefined) throw new HttpError(404, 40403, `Schema ${id} not found`);
      return { schema };
    });
    this.route('POST', /^\/compatibility\/subjects\/([^/]+)\/versions\/([^/]+)$/, ([s, v], body) => this.compatibility(s!, v!, body));
    this.route('GET', /^\/config$/, () => ({ compatibilityLevel: this.store.globalLevel }));
    this.route('PUT', /^\/config$/, (_p, body) => this.setConfig(null, body));
    this.route('GET', /^\/config\/([^/]+)$/, ([s], _b, q) => {
      const level = this.store.subjectLevel(s!);
      if (level !== undefined) return { compatibilityLevel: level };
      if (q.get('defaultToGlobal') === 'true') return { compatibilityLevel: this.store.globalLevel };
      throw new HttpError(404, 40408, `Subject '${s}' does not have subject-level compatibility configured`);
    });
    this.route('PUT', /^\/config\/([^/]+)$/, ([s], body) => this.setConfig(s!, body));
  }

  static async start(opts: SchemaRegistryServerOptions): Promise<SchemaRegistryServer> {
    const store = new RegistryStore(join(opts.dataDir, 'broker', 'registry'), opts.logger);
    const reg = new SchemaRegistryServer(store, opts.logger);
    const server = createServer((req, res) => void reg.serve(req, res));
    // `Expect: 100-continue`: a body declared too large is refused before the client sends it
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (declaredTooLarge(req)) void reg.serve(req, res);
      else {
        res.writeContinue();
        void reg.serve(req, res);
      }
    });
    server.keepAliveTimeout = 5000;
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 8081, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    reg.server = server;
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    reg.url = `http://${urlHost}:${port}`;
    opts.logger.info('registry: listening', { url: reg.url, subjects: store.subjectNames().length });
    return reg;
  }

  private route(method: string, pattern: RegExp, handler: Handler): void {
    this.routes.push({ method, pattern, handler });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://registry');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    let status = 200;
    let payload: unknown;
    try {
      const body = req.method === 'POST' || req.method === 'PUT' ? await readJson(req) : undefined;
      const matching = this.routes.filter((r) => r.pattern.test(path));
      const route = matching.find((r) => r.method === req.method);
      if (!route) {
        throw matching.length > 0 ? new HttpError(405, 405, `Method ${req.method} not allowed`) : new HttpError(404, 404, `No route for ${path}`);
      }
      const params = route.pattern.exec(path)!.slice(1).map((p) => decodeURIComponent(p));
      payload = route.handler(params, body, url.searchParams);
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        payload = { error_code: err.errorCode, message: err.message };
      } else {
        status = 500;
        payload = { error_code: 50001, message: (err as Error).message };
        this.logger.error('registry: request failed', { path, error: (err as Error).message });
      }
    }
    const text = JSON.stringify(payload);
    const headers: Record<string, string | number> = { 'content-type': 'application/vnd.schemaregistry.v1+json', 'content-length': Buffer.byteLength(text) };
    // a refused body may not have been read: the connection cannot carry another request
    if (status === 413) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(text);
  }

  private parseSchemaBody(body: unknown): { text: string; type: ReturnType<typeof parseAvro> } {
    const b = SchemaBody.safeParse(body);
    if (!b.success) throw new HttpError(422, 42201, 'Invalid schema: the body must be {"schema": "<Avro schema JSON>"}');
    if (b.data.schemaType !== undefined && b.data.schemaType !== 'AVRO') throw new HttpError(422, 42201, `Invalid schema: only AVRO is supported, got ${b.data.schemaType}`);
    try {
      return { text: b.data.schema, type: parseAvro(b.data.schema) };
    } catch (err) {
      throw new HttpError(422, 42201, `Invalid schema: ${(err as Error).message}`);
    }
  }

  private subjectVersions(subject: string): NonNullable<ReturnType<RegistryStore['versions']>> {
    const v = this.store.versions(subject);
    if (!v || v.length === 0) throw new HttpError(404, 40401, `Subject '${subject}' not found.`);
    return v;
  }

  private version(subject: string, version: string): { subject: string; version: number; id: number; schema: string } {
    const list = this.subjectVersions(subject);
    if (version === 'latest' || version === '-1') return list[list.length - 1]!;
    if (!/^\d+$/.test(version) || Number(version) < 1) throw new HttpError(422, 42202, `The specified version '${version}' is not a valid version id.`);
    const found = list.find((v) => v.version === Number(version));
    if (!found) throw new HttpError(404, 40402, `Version ${version} not found.`);
    return found;
  }

  private level(subject: string): CompatibilityLevel {
    return this.store.subjectLevel(subject) ?? this.store.globalLevel;
  }

  private register(subject: string, body: unknown): { id: number } {
    const { text, type } = this.parseSchemaBody(body);
    const identity = schemaIdentity(type);
    const existing = this.store.versions(subject) ?? [];
    const same = existing.find((v) => schemaIdentity(parseAvro(v.schema)) === identity);
    if (same) return { id: same.id };
    const reason = checkCompatibility(this.level(subject), type, existing.map((v) => parseAvro(v.schema)));
    if (reason) {
      this.logger.warn('registry: rejected incompatible schema', { subject, reason });
      throw new HttpError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}": ${reason}`);
    }
    let id: number | undefined;
    for (const [sid, s] of this.store.schemas()) {
      if (schemaIdentity(parseAvro(s)) === identity) {
        id = sid;
        break;
      }
    }
    const v = this.store.addVersion(subject, id ?? this.store.nextId(), text);
    this.logger.info('registry: registered schema', { subject, version: v.version, id: v.id });
    return { id: v.id };
  }

  private lookup(subject: string, body: unknown): { subject: string; version: number; id: number; schema: string } {
    const { type } = this.parseSchemaBody(body);
    const identity = schemaIdentity(type);
    const found = this.subjectVersions(subject).find((v) => schemaIdentity(parseAvro(v.schema)) === identity);
    if (!found) throw new HttpError(404, 40403, 'Schema not found');
    return found;
  }

  private compatibility(subject: string, version: string, body: unknown): { is_compatible: boolean; messages?: string[] } {
    const { type } = this.parseSchemaBody(body);
    const against = this.version(subject, version);
    const level = this.level(subject);
    const list = this.subjectVersions(subject);
    const existing = level.endsWith('_TRANSITIVE') ? list.map((v) => parseAvro(v.schema)) : [parseAvro(against.schema)];
    const reason = checkCompatibility(level, type, existing);
    return reason ? { is_compatible: false, messages: [reason] } : { is_compatible: true };
  }

  private setConfig(subject: string | null, body: unknown): { compatibility: CompatibilityLevel } {
    const b = ConfigBody.safeParse(body);
    if (!b.success) throw new HttpError(422, 42203, `Invalid compatibility level; expected one of ${COMPATIBILITY_LEVELS.join(', ')}`);
    this.store.setLevel(subject, b.data.compatibility);
    return { compatibility: b.data.compatibility };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.store.close();
  }
}

/** Bytes of an oversized body read (and dropped) so that the 413 reaches the client; past this the connection is cut. */
const MAX_DRAINED = 16 * MAX_BODY;

function declaredTooLarge(req: IncomingMessage): boolean {
  const declared = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(declared) && declared > MAX_BODY;
}

function tooLarge(): HttpError {
  return new HttpError(413, 413, `request body too large (the limit is ${MAX_BODY} bytes)`);
}

/**
 * The request's JSON body. A body declared larger than MAX_BODY is refused unread; one that
 * turns out larger (chunked) is read to its end without being kept, so the client gets the
 * 413 instead of a reset, unless it goes on past MAX_DRAINED.
 */
function readJson(req: IncomingMessage): Promise<unknown> {
  if (declaredTooLarge(req)) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAINED) {
        req.destroy();
        reject(tooLarge());
      } else if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return reject(tooLarge());
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 400, 'request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}
