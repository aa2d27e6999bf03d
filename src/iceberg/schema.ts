/**
 * Iceberg schema types (format v2) and their JSON form, exactly as the spec's
 * Appendix C writes them.
 */
export type PrimitiveType = 'boolean' | 'int' | 'long' | 'float' | 'double' | 'date' | 'timestamptz' | 'timestamp' | 'string' | 'uuid' | 'binary' | `decimal(${number}, ${number})`;

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export type IcebergType = PrimitiveType | ListType | MapType | StructType;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface IcebergSchema {
  type: 'struct';
  'schema-id': number;
  fields: NestedField[];
  'identifier-field-ids'?: number[];
}

export interface PartitionField {
  name: string;
  transform: 'identity' | 'day';
  'source-id': number;
  'field-id': number;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export interface SortField {
  transform: 'identity';
  'source-id': number;
  direction: 'asc' | 'desc';
  'null-order': 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  'order-id': number;
  fields: SortField[];
}

/** Highest id in a schema, nested element/key/value ids included. */
export function highestFieldId(fields: readonly NestedField[]): number {
  let max = 0;
  const visit = (t: IcebergType): void => {
    if (typeof t === 'string') return;
    if (t.type === 'list') {
      max = Math.max(max, t['element-id']);
      visit(t.element);
    } else if (t.type === 'map') {
      max = Math.max(max, t['key-id'], t['value-id']);
      visit(t.key);
      visit(t.value);
    } else {
      for (const f of t.fields) {
        max = Math.max(max, f.id);
        visit(f.type);
      }
    }
  };
  visit({ type: 'struct', fields: [...fields] });
  return max;
}

export function findField(schema: IcebergSchema, id: number): NestedField | undefined {
  return schema.fields.find((f) => f.id === id);
}
