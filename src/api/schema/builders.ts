// Small builders for structural OpenAPI v3 schemas. Every builder takes a description, so no field
// can reach the CRDs (and `kubectl explain`) undocumented. The codegen reads the same objects to
// write the CRD YAML, the TypeScript types and docs/api.md.

/** A CEL rule (`x-kubernetes-validations` entry). */
export interface Rule {
  rule: string;
  /** Static message; use it when the message needs no values from the object. */
  message?: string;
  /** CEL expression building the message from the object, so it can name the offending value. */
  messageExpression?: string;
  /** Relative path of the field the error is reported on, e.g. `.renewDeadlineSeconds`. */
  fieldPath?: string;
  /** FieldValueDuplicate is left out on purpose: the API server prints it without the message. */
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired";
}

export interface Schema {
  type: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description: string;
  format?: string;
  enum?: readonly string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: Rule[];
  /**
   * Name of the TypeScript type generated for this schema (objects and string enums). Not part of
   * the CRD: the codegen strips it. Unnamed objects become inline types.
   */
  typeName?: string;
}

interface Common {
  description: string;
  rules?: Rule[];
  typeName?: string;
}

interface StringOptions<T extends string> extends Common {
  enum?: readonly T[];
  default?: T;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: "date-time";
}

interface NumberOptions extends Common {
  min?: number;
  max?: number;
  default?: number;
}

interface IntegerOptions extends NumberOptions {
  /** int64 where values can exceed 2^31 (byte counts, generations); int32 otherwise. */
  format?: "int32" | "int64";
}

interface ObjectOptions extends Common {
  required?: string[];
  /**
   * When the object is left out, the API server fills it in with its fields' defaults. The default
   * is spelled out rather than `{}`, because the API server checks it against the object's CEL
   * rules as is, before nested defaults would apply.
   */
  defaulted?: boolean;
}

interface ArrayOptions extends Common {
  /** Required: CEL's cost estimate multiplies by it, and an unbounded list makes rules too costly. */
  maxItems: number;
  minItems?: number;
  listType?: "atomic" | "set" | "map";
  listMapKeys?: string[];
}

function withCommon(schema: Schema, options: Common): Schema {
  if (options.rules?.length) schema["x-kubernetes-validations"] = options.rules;
  if (options.typeName) schema.typeName = options.typeName;
  return schema;
}

/** Drops undefined entries so the generated YAML holds only what was set. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function str<T extends string>(options: StringOptions<T>): Schema {
  const { description, enum: values, default: def, pattern, minLength, maxLength, format } = options;
  return withCommon(
    defined<Schema>({
      type: "string",
      description,
      format,
      enum: values,
      default: def,
      pattern,
      minLength,
      maxLength,
    }),
    options,
  );
}

export function int(options: IntegerOptions): Schema {
  const { description, min, max, default: def, format = "int32" } = options;
  return withCommon(
    defined<Schema>({ type: "integer", format, description, default: def, minimum: min, maximum: max }),
    options,
  );
}

/** A fractional number, e.g. a measured duration in seconds. */
export function num(options: NumberOptions): Schema {
  const { description, min, max, default: def } = options;
  return withCommon(
    defined<Schema>({
      type: "number",
      format: "double",
      description,
      default: def,
      minimum: min,
      maximum: max,
    }),
    options,
  );
}

export function bool(options: Common & { default?: boolean }): Schema {
  return withCommon(
    defined<Schema>({ type: "boolean", description: options.description, default: options.default }),
    options,
  );
}

/** An RFC 3339 timestamp, as metav1.Time serialises it. */
export function time(options: Common): Schema {
  return str({ ...options, format: "date-time" });
}

function fieldDefaults(properties: Record<string, Schema>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(properties)
      .filter(([, field]) => field.default !== undefined)
      .map(([name, field]) => [name, field.default]),
  );
}

export function obj(properties: Record<string, Schema>, options: ObjectOptions): Schema {
  const required = options.required?.length ? options.required : undefined;
  for (const name of required ?? []) {
    if (!(name in properties)) throw new Error(`required field ${name} is not a property`);
  }
  return withCommon(
    defined<Schema>({
      type: "object",
      description: options.description,
      default: options.defaulted ? fieldDefaults(properties) : undefined,
      properties,
      required,
    }),
    options,
  );
}

export function arr(items: Schema, options: ArrayOptions): Schema {
  return withCommon(
    defined<Schema>({
      type: "array",
      description: options.description,
      items,
      minItems: options.minItems,
      maxItems: options.maxItems,
      "x-kubernetes-list-type": options.listType,
      "x-kubernetes-list-map-keys": options.listMapKeys,
    }),
    options,
  );
}

/**
 * A messageExpression: `template` with %s / %d filled from CEL expressions. `format` rather than
 * string concatenation, because the API server estimates concatenation with values of unknown
 * length (string(int), items of a filtered list) as unbounded, and rejects the CRD.
 */
export function celFormat(template: string, args: string[]): string {
  if (template.includes("'")) throw new Error(`message template may not contain a single quote: ${template}`);
  return `'${template}'.format([${args.join(", ")}])`;
}
