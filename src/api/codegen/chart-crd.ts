import { stringify } from "yaml";
import type { CustomResourceDefinitionManifest } from "../crds.ts";
import { generatedNotice } from "./header.ts";

/** Where the Helm chart keeps its copies of the CRDs, as templates. */
export const chartCrdDir = "charts/meridian/templates/crds";

/**
 * One CRD as a template of the Helm chart: Helm never upgrades a chart's crds/ folder, so the CRDs
 * are templates (upgraded with the release) behind `crds.create`, and `helm.sh/resource-policy: keep`
 * leaves them, and with them every Meridian object, in place when the release is uninstalled.
 * Only the hub serves Meridian's API, so a member release renders none.
 */
export function chartCrdTemplate(crd: CustomResourceDefinitionManifest): string {
  const manifest = {
    ...crd,
    metadata: { ...crd.metadata, annotations: { "helm.sh/resource-policy": "keep" } },
  };
  const body = stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false });
  // Helm would read "{{" in a description as a template action.
  if (body.includes("{{")) throw new Error(`${crd.metadata.name}: a description contains "{{"`);
  return `{{- if and .Values.crds.create (eq .Values.role "hub") }}\n# ${generatedNotice}\n${body}{{- end }}\n`;
}
