/**
 * Persistent state of the schema registry: schemas with global ids, subject
 * versions and compatibility settings, kept in memory and persisted as an
 * append-only JSON-lines log `<dir>/registry.log` (fsynced per change; changes
 * are rare). Replayed at startup.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../log/logger.js';

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

const Event = z.discriminatedUnion('type', [
  z.object({ type: z.literal('schema'), subject: z.string(), version: z.number().int(), id: z.number().int(), schema: z.string() }),
  z.object({ type: z.literal('config'), subject: z.string().nullable(), level: z.enum(COMPATIBILITY_LEVELS) }),
]);
type Event = z.infer<typeof Event>;

export class RegistryStore {
  private readonly byId = new Map<number, string>();
  private readonly subjects = new Map<string, SubjectVersion[]>();
  private readonly configs = new Map<string, CompatibilityLevel>();
  globalLevel: CompatibilityLevel = 'BACKWARD';
  private readonly fd: number;

  constructor(dir: string, logger: Logger) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'registry.log');
    if (existsSync(path)) {
      const lines = readFileSync(path, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          this.apply(Event.parse(JSON.parse(line)));
        } catch (err) {
          logger.warn('registry: skipped unreadable log line', { file: path, line: i + 1, error: (err as Error).message });
        }
      });
    }
    this.fd = openSync(path, 'a');
  }

  private apply(e: Event): void {
    if (e.type === 'schema') {
      this.byId.set(e.id, e.schema);
      const list = this.subjects.get(e.subject) ?? [];
      list.push({ subject: e.subject, version: e.version, id: e.id, schema: e.schema });
      this.subjects.set(e.subject, list);
    } else if (e.subject === null) this.globalLevel = e.level;
    else this.configs.set(e.subject, e.level);
  }

  private persist(e: Event): void {
    writeSync(this.fd, `${JSON.stringify(e)}\n`);
    fsyncSync(this.fd);
    this.apply(e);
  }

  schemaById(id: number): string | undefined {
    return this.byId.get(id);
  }

  /** Every (id, schema) pair, for finding an existing id of an identical schema. */
  schemas(): IterableIterator<[number, string]> {
    return this.byId.entries();
  }

  subjectNames(): string[] {
    return [...this.subjects.keys()].sort();
  }

  versions(subject: string): SubjectVersion[] | undefined {
    return this.subjects.get(subject);
  }

  nextId(): number {
    let max = 0;
    for (const id of this.byId.keys()) if (id > max) max = id;
    return max + 1;
  }

  addVersion(subject: string, id: number, schema: string): SubjectVersion {
    const list = this.subjects.get(subject) ?? [];
    const version = (list[list.length - 1]?.version ?? 0) + 1;
    this.persist({ type: 'schema', subject, version, id, schema });
    return { subject, version, id, schema };
  }

  subjectLevel(subject: string): CompatibilityLevel | undefined {
    return this.configs.get(subject);
  }

  setLevel(subject: string | null, level: CompatibilityLevel): void {
    this.persist({ type: 'config', subject, level });
  }

  close(): void {
    closeSync(this.fd);
  }
}
