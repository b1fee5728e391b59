// Writes TypeScript interfaces for every kind from the same schemas that make the CRDs.
import { apiVersion } from "../group.ts";
import type { Schema } from "../schema/builders.ts";
import type { KindDefinition } from "../schema/kind.ts";
import { generatedNotice } from "./header.ts";

function docComment(lines: string[], indent: string): string {
  const safe = lines.map((l) => l.replaceAll("*/", "*\\/"));
  return `${indent}/**\n${safe.map((l) => `${indent} * ${l}`).join("\n")}\n${indent} */\n`;
}

/** Named types in the order first met, so each kind's types follow it in the file. */
class TypeRegistry {
  private readonly code = new Map<string, string>();
  private readonly order: string[] = [];

  /** Registers `name`; `render` runs once. The same name with different code is a schema mistake. */
  declare(name: string, render: () => string): string {
    if (!this.code.has(name)) {
      this.order.push(name); // before render(), so a type precedes the types nested in it
      this.code.set(name, render());
    } else if (this.code.get(name) !== render()) {
      throw new Error(`type ${name} is declared twice with different shapes`);
    }
    return name;
  }

  render(): string {
    return this.order.map((name) => this.code.get(name)).join("\n");
  }
}

function isOptional(parent: Schema, name: string, field: Schema): boolean {
  return !parent.required?.includes(name) && field.default === undefined;
}

function members(schema: Schema, registry: TypeRegistry, indent: string): string {
  return Object.entries(schema.properties ?? {})
    .map(([name, field]) => {
      const doc = [field.description];
      if (field.default !== undefined) doc.push(`@default ${JSON.stringify(field.default)}`);
      const optional = isOptional(schema, name, field) ? "?" : "";
      return `${docComment(doc, indent)}${indent}${name}${optional}: ${typeOf(field, registry, indent)};\n`;
    })
    .join("");
}

function typeOf(schema: Schema, registry: TypeRegistry, indent: string): string {
  switch (schema.type) {
    case "string": {
      if (!schema.enum) return "string";
      const union = schema.enum.map((v) => JSON.stringify(v)).join(" | ");
      if (!schema.typeName) return union;
      return registry.declare(schema.typeName, () => `export type ${schema.typeName} = ${union};\n`);
    }
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "array": {
      if (!schema.items) throw new Error(`array without items: ${schema.description}`);
      const item = typeOf(schema.items, registry, indent);
      return item.includes("|") ? `(${item})[]` : `${item}[]`;
    }
    case "object": {
      const name = schema.typeName;
      if (!name) return `{\n${members(schema, registry, `${indent}  `)}${indent}}`;
      return registry.declare(
        name,
        () => `export interface ${name} {\n${members(schema, registry, "  ")}}\n`,
      );
    }
  }
}

function kindInterface(kind: KindDefinition, registry: TypeRegistry): string {
  return registry.declare(
    kind.kind,
    () =>
      `${docComment([kind.description], "")}export interface ${kind.kind} {\n` +
      `  apiVersion: "${apiVersion}";\n` +
      `  kind: "${kind.kind}";\n` +
      "  metadata?: V1ObjectMeta;\n" +
      `  spec: ${typeOf(kind.spec, registry, "  ")};\n` +
      `  status?: ${typeOf(kind.status, registry, "  ")};\n` +
      "}\n",
  );
}

/** The source of src/api/types.generated.ts, before formatting. */
export function typescriptTypes(kinds: KindDefinition[]): string {
  const registry = new TypeRegistry();
  for (const kind of kinds) kindInterface(kind, registry);
  return [
    `// ${generatedNotice}`,
    "// These types describe objects as the API server returns them, after defaulting: a field that",
    "// is required or has a default is not optional.",
    'import type { V1ObjectMeta } from "@kubernetes/client-node";',
    "",
    registry.render(),
  ].join("\n");
}
