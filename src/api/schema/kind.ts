import type { Schema } from "./builders.ts";

/** A column of `kubectl get`. */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description: string;
  /** 0 shows in `kubectl get`; 1 only with `-o wide`. */
  priority?: number;
}

/** Everything the codegen needs to write one kind's CRD, TypeScript types and reference docs. */
export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: "Cluster" | "Namespaced";
  description: string;
  spec: Schema;
  status: Schema;
  printerColumns: PrinterColumn[];
}

export function conditionColumn(conditionType: string, description: string): PrinterColumn {
  return {
    name: conditionType,
    type: "string",
    jsonPath: `.status.conditions[?(@.type=="${conditionType}")].status`,
    description,
  };
}

export const ageColumn: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since the object was created.",
};
