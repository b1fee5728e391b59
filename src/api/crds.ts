// The CustomResourceDefinitions, built from the schemas in ./schema: what crds/*.yaml hold.
import { group, version } from "./group.ts";
import type { Schema } from "./schema/builders.ts";
import type { KindDefinition, PrinterColumn } from "./schema/kind.ts";
import { kinds } from "./schema/kinds.ts";

/** A CRD in its wire format (the keys kubectl and the API server use, e.g. x-kubernetes-validations). */
export interface CustomResourceDefinitionManifest {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: "Cluster" | "Namespaced";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: WireSchema };
    }[];
  };
}

export type WireSchema = Omit<Schema, "typeName" | "properties" | "items" | "description"> & {
  /** Optional only for metadata, whose documentation the API server supplies (ObjectMeta). */
  description?: string;
  properties?: Record<string, WireSchema>;
  items?: WireSchema;
};

/** `kubectl get meridian` lists every Meridian object. */
export const category = "meridian";

export function crdName(kind: KindDefinition): string {
  return `${kind.plural}.${group}`;
}

/** The schema as the API server takes it: without the codegen-only typeName. */
function toWire(schema: Schema): WireSchema {
  const { typeName: _typeName, properties, items, ...rest } = schema;
  const wire: WireSchema = { ...rest };
  if (properties) {
    wire.properties = Object.fromEntries(Object.entries(properties).map(([name, s]) => [name, toWire(s)]));
  }
  if (items) wire.items = toWire(items);
  return wire;
}

function rootSchema(kind: KindDefinition): WireSchema {
  const root: WireSchema = {
    type: "object",
    description: kind.description,
    properties: {
      apiVersion: {
        type: "string",
        description: `The versioned schema of this representation of an object: ${group}/${version}.`,
      },
      kind: {
        type: "string",
        description: `The REST resource this object represents: ${kind.kind}.`,
      },
      metadata: { type: "object" },
      spec: toWire(kind.spec),
      status: toWire(kind.status),
    },
  };
  // A spec with a default (every field optional) may be left out; the API server fills it in.
  if (kind.spec.default === undefined) root.required = ["spec"];
  return root;
}

export function customResourceDefinition(kind: KindDefinition): CustomResourceDefinitionManifest {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName(kind), labels: { "app.kubernetes.io/part-of": "meridian" } },
    spec: {
      group,
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: kind.shortNames,
        categories: [category],
      },
      scope: kind.scope,
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: kind.printerColumns,
          schema: { openAPIV3Schema: rootSchema(kind) },
        },
      ],
    },
  };
}

export function customResourceDefinitions(): CustomResourceDefinitionManifest[] {
  return kinds.map(customResourceDefinition);
}
