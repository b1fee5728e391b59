// Writes docs/api.md, the reference of every kind, from the same schemas that make the CRDs.
import { category } from "../crds.ts";
import { apiVersion } from "../group.ts";
import type { Rule, Schema } from "../schema/builders.ts";
import type { KindDefinition } from "../schema/kind.ts";
import { generatedNotice } from "./header.ts";

interface Field {
  path: string;
  schema: Schema;
  required: boolean;
}

interface PlacedRule {
  path: string;
  rule: Rule;
}

/** Every field below `schema`, depth first, with its full path (`spec.regions[].name`). */
function fields(schema: Schema, path: string): Field[] {
  const out: Field[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const childPath = `${path}.${name}`;
    out.push({ path: childPath, schema: child, required: schema.required?.includes(name) ?? false });
    out.push(...fields(child, childPath));
  }
  if (schema.items) out.push(...fields(schema.items, `${path}[]`));
  return out;
}

function rules(schema: Schema, path: string): PlacedRule[] {
  const here = (schema["x-kubernetes-validations"] ?? []).map((rule) => ({
    path: rule.fieldPath ? `${path}${rule.fieldPath}` : path,
    rule,
  }));
  const nested = Object.entries(schema.properties ?? {}).flatMap(([name, child]) =>
    rules(child, `${path}.${name}`),
  );
  return [...here, ...nested, ...(schema.items ? rules(schema.items, `${path}[]`) : [])];
}

const code = (value: unknown) => `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;

/** Table cells may not hold a bare pipe or a line break. */
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function fieldType(schema: Schema): string {
  if (schema.type === "array") return `[]${schema.items ? fieldType(schema.items) : "?"}`;
  if (schema.format === "date-time") return "timestamp";
  return schema.type;
}

function constraints(schema: Schema): string[] {
  const out: string[] = [];
  if (schema.enum) out.push(`One of ${schema.enum.map(code).join(", ")}.`);
  if (schema.minimum !== undefined && schema.maximum !== undefined) {
    out.push(`From ${schema.minimum} to ${schema.maximum}.`);
  } else if (schema.minimum !== undefined) {
    out.push(`At least ${schema.minimum}.`);
  } else if (schema.maximum !== undefined) {
    out.push(`At most ${schema.maximum}.`);
  }
  if (schema.maxLength !== undefined) out.push(`At most ${schema.maxLength} characters.`);
  if (schema.pattern) out.push(`Matches ${code(schema.pattern)}.`);
  if (schema.minItems !== undefined) out.push(`At least ${schema.minItems} items.`);
  if (schema.maxItems !== undefined) out.push(`At most ${schema.maxItems} items.`);
  const keys = schema["x-kubernetes-list-map-keys"];
  if (keys) out.push(`Unique by ${keys.map(code).join(", ")}.`);
  if (schema["x-kubernetes-list-type"] === "set") out.push("Items are unique.");
  return out;
}

function fieldTable(schema: Schema, path: string): string {
  const rows = fields(schema, path).map(({ path: p, schema: s, required }) => {
    const type = [fieldType(s)];
    if (required) type.push("**required**");
    if (s.default !== undefined) type.push(`default ${code(s.default)}`);
    const description = [s.description, ...constraints(s)].join(" ");
    return `| ${code(p)} | ${cell(type.join(", "))} | ${cell(description)} |`;
  });
  return ["| Field | Type | Description |", "|---|---|---|", ...rows].join("\n");
}

/**
 * The readable part of a messageExpression: celFormat's template with each value shown as …
 * (the API server fills in the object's values). Any other expression is shown as code.
 */
function messageTemplate(expression: string): string {
  const template = /^'([^']*)'\.format\(/.exec(expression)?.[1];
  return template ? template.replaceAll(/%[sd]/g, "…") : code(expression);
}

function ruleTable(kind: KindDefinition): string {
  const placed = [...rules(kind.spec, "spec"), ...rules(kind.status, "status")];
  if (placed.length === 0) return "";
  const rows = placed.map(({ path, rule }) => {
    const message = rule.message ?? messageTemplate(rule.messageExpression ?? "");
    return `| ${code(path)} | ${cell(code(rule.rule))} | ${cell(message)} |`;
  });
  return [
    "### Validation rules",
    "",
    "Checked by the API server (CEL) on create and update; a violation rejects the request with the message shown.",
    "",
    "| Field | Rule | Message |",
    "|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

function kindSection(kind: KindDefinition): string {
  const columns = kind.printerColumns
    .filter((c) => !c.priority)
    .map((c) => c.name)
    .join(", ");
  return [
    `## ${kind.kind}`,
    "",
    kind.description,
    "",
    `- API version: ${code(apiVersion)}, ${kind.scope === "Cluster" ? "cluster-scoped" : "namespaced"}`,
    `- Names: ${code(kind.plural)}, short ${kind.shortNames.map(code).join(", ")}, category ${code(category)}`,
    `- \`kubectl get ${kind.plural}\` shows: ${columns}`,
    "",
    "### Spec",
    "",
    kind.spec.description,
    "",
    fieldTable(kind.spec, "spec"),
    "",
    "### Status",
    "",
    kind.status.description,
    "",
    fieldTable(kind.status, "status"),
    "",
    ruleTable(kind),
  ].join("\n");
}

/** The source of docs/api.md. */
export function markdownReference(kinds: KindDefinition[]): string {
  return [
    "# Meridian API reference",
    "",
    `<!-- ${generatedNotice} -->`,
    "",
    `Every kind is in API group version ${code(apiVersion)}. \`kubectl explain <kind>.spec\` prints the same descriptions; \`kubectl get ${category}\` lists every Meridian object.`,
    "",
    ...kinds.map((k) => `- [${k.kind}](#${k.kind.toLowerCase()}) (${k.shortNames.map(code).join(", ")})`),
    "",
    ...kinds.map(kindSection),
  ].join("\n");
}
