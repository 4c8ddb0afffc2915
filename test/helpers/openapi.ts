/**
 * A structural validator for the subset of OpenAPI v3 schema keywords Kubernetes CRDs use (type,
 * properties with unknown fields refused as strict field validation does, required, enum, pattern,
 * lengths, item counts, minimum, int32/int64 formats, x-kubernetes-list-type set/map). It throws on
 * a keyword it does not know, so a newer CRD cannot pass by being half read.
 */
export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
  minItems?: number;
  default?: unknown;
  'x-kubernetes-list-type'?: 'set' | 'map' | 'atomic';
  'x-kubernetes-list-map-keys'?: string[];
}

const KNOWN = new Set([
  'type',
  'description',
  'properties',
  'required',
  'items',
  'enum',
  'pattern',
  'format',
  'minimum',
  'maxLength',
  'minLength',
  'maxItems',
  'minItems',
  'default',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
]);

const FORMATS: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Every way `value` breaks `schema`, as "path: problem" lines; empty when it is valid. */
export function validate(schema: OpenApiSchema, value: unknown, path = ''): string[] {
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key)) throw new Error(`${path || '/'}: schema keyword ${key} is not supported`);
  }
  const at = path || '/';
  const errors: string[] = [];
  const typeOf = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  switch (schema.type) {
    case 'object':
      if (typeOf !== 'object') return [`${at}: expected an object, got ${typeOf}`];
      break;
    case 'array':
      if (typeOf !== 'array') return [`${at}: expected an array, got ${typeOf}`];
      break;
    case 'string':
      if (typeOf !== 'string') return [`${at}: expected a string, got ${typeOf}`];
      break;
    case 'integer':
      if (!Number.isInteger(value)) return [`${at}: expected an integer, got ${JSON.stringify(value)}`];
      break;
    case 'number':
      if (typeOf !== 'number') return [`${at}: expected a number, got ${typeOf}`];
      break;
    case 'boolean':
      if (typeOf !== 'boolean') return [`${at}: expected a boolean, got ${typeOf}`];
      break;
    case undefined:
      break;
  }
  if (schema.enum && !schema.enum.includes(value))
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
      errors.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      errors.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push(`${at}: shorter than ${schema.minLength}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${at}: ${value} is below ${schema.minimum}`);
    const range = schema.format ? FORMATS[schema.format] : undefined;
    if (range && (value < range[0] || value > range[1]))
      errors.push(`${at}: ${value} does not fit ${schema.format}`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(`${at}: fewer than ${schema.minItems} items`);
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set' || listType === 'map') {
      const keys = schema['x-kubernetes-list-map-keys'] ?? [];
      const seen = new Set<string>();
      for (const item of value) {
        const key =
          listType === 'set'
            ? JSON.stringify(item)
            : JSON.stringify(keys.map((name) => (item as Record<string, unknown>)[name]));
        if (seen.has(key)) errors.push(`${at}: duplicate ${listType} item ${key}`);
        seen.add(key);
      }
    }
    if (schema.items) {
      const items = schema.items;
      value.forEach((item, index) => {
        errors.push(...validate(items, item, `${path}/${index}`));
      });
    }
  }
  if (typeOf === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? [])
      if (object[name] === undefined) errors.push(`${at}: ${name} is required`);
    if (schema.properties) {
      for (const [name, field] of Object.entries(object)) {
        const property = schema.properties[name];
        if (!property) errors.push(`${path}/${name}: unknown field`);
        else errors.push(...validate(property, field, `${path}/${name}`));
      }
    }
  }
  return errors;
}
