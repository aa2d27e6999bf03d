/**
 * A small client for the Confluent Schema Registry REST API (k2's embedded
 * registry or a real one).
 *
 *   new SchemaRegistryClient(registryUrl: string)
 *   register(subject: string, schema: string): Promise<number>        // cached per (subject, schema)
 *   getSchemaById(id: number): Promise<string>                         // cached forever (ids are immutable)
 *   latest(subject: string): Promise<{ id: number; version: number; schema: string } | null>
 *   testCompatibility(subject: string, schema: string): Promise<boolean>
 *
 * Errors: SchemaRegistryError (HTTP status + Confluent error_code), BusError when unreachable.
 */
import { z } from 'zod';
import { BusError, SchemaRegistryError } from './errors.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const IdResponse = z.object({ id: z.number().int() });
const SchemaResponse = z.object({ schema: z.string() });
const VersionResponse = z.object({ id: z.number().int(), version: z.number().int(), schema: z.string() });
const CompatResponse = z.object({ is_compatible: z.boolean() });
const ErrorBody = z.object({ error_code: z.number().int(), message: z.string() });

export class SchemaRegistryClient {
  private readonly ids = new Map<string, Promise<number>>();
  private readonly schemas = new Map<number, Promise<string>>();

  constructor(readonly registryUrl: string) {}

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${this.registryUrl}${path}`, {
        method,
        headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new BusError(`schema registry unreachable at ${this.registryUrl}: ${(err as Error).message}`, { url: this.registryUrl, path }, { cause: err });
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, json };
  }

  private fail(path: string, status: number, json: unknown): never {
    const e = ErrorBody.safeParse(json);
    throw new SchemaRegistryError(
      `schema registry ${path}: ${e.success ? e.data.message : `HTTP ${status}`}`,
      status,
      e.success ? e.data.error_code : null,
      { path },
    );
  }

  /** Registers (or finds) a schema under a subject and returns its global id. */
  register(subject: string, schema: string): Promise<number> {
    const key = `${subject}\u0000${schema}`;
    let p = this.ids.get(key);
    if (p === undefined) {
      const path = `/subjects/${encodeURIComponent(subject)}/versions`;
      p = this.call('POST', path, { schema }).then(({ status, json }) => {
        if (status !== 200) this.fail(path, status, json);
        const id = IdResponse.parse(json).id;
        this.schemas.set(id, Promise.resolve(schema));
        return id;
      });
      p.catch(() => this.ids.delete(key));
      this.ids.set(key, p);
    }
    return p;
  }

  getSchemaById(id: number): Promise<string> {
    let p = this.schemas.get(id);
    if (p === undefined) {
      const path = `/schemas/ids/${id}`;
      p = this.call('GET', path).then(({ status, json }) => {
        if (status !== 200) this.fail(path, status, json);
        return SchemaResponse.parse(json).schema;
      });
      p.catch(() => this.schemas.delete(id));
      this.schemas.set(id, p);
    }
    return p;
  }

  async latest(subject: string): Promise<{ id: number; version: number; schema: string } | null> {
    const path = `/subjects/${encodeURIComponent(subject)}/versions/latest`;
    const { status, json } = await this.call('GET', path);
    if (status === 404) return null;
    if (status !== 200) this.fail(path, status, json);
    return VersionResponse.parse(json);
  }

  async testCompatibility(subject: string, schema: string): Promise<boolean> {
    const path = `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`;
    const { status, json } = await this.call('POST', path, { schema });
    if (status === 404) return true;
    if (status !== 200) this.fail(path, status, json);
    return CompatResponse.parse(json).is_compatible;
  }
}
