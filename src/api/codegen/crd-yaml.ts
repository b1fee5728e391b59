import { stringify } from "yaml";
import type { CustomResourceDefinitionManifest } from "../crds.ts";
import { generatedNotice } from "./header.ts";

/** One CRD as the YAML file `kubectl apply -f crds/` reads. */
export function crdYaml(crd: CustomResourceDefinitionManifest): string {
  // No line folding and no YAML anchors for shared schema parts: a reader sees every field in full
  // where it is, and a diff of a description is one line.
  return `# ${generatedNotice}\n${stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
