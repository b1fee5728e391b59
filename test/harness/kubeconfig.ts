import { readFile } from "node:fs/promises";
import { parse, stringify } from "yaml";

type Entry = Record<string, unknown>;
type FileRefs = Record<string, string>;

const clusterFileRefs: FileRefs = { "certificate-authority": "certificate-authority-data" };
const userFileRefs: FileRefs = {
  "client-certificate": "client-certificate-data",
  "client-key": "client-key-data",
};

async function inlineFiles(entry: Entry | undefined, refs: FileRefs): Promise<void> {
  if (!entry) return;
  for (const [fileKey, dataKey] of Object.entries(refs)) {
    const path = entry[fileKey];
    if (typeof path !== "string") continue;
    entry[dataKey] = (await readFile(path)).toString("base64");
    delete entry[fileKey];
  }
}

/**
 * Reads a kubeconfig and returns it with every referenced certificate and key embedded, the form a
 * MemberCluster Secret needs (the operator's pod cannot read the test bed's files).
 */
export async function flattenKubeconfig(path: string): Promise<string> {
  const config = parse(await readFile(path, "utf8")) as {
    clusters?: { cluster?: Entry }[];
    users?: { user?: Entry }[];
  };
  for (const c of config.clusters ?? []) await inlineFiles(c.cluster, clusterFileRefs);
  for (const u of config.users ?? []) await inlineFiles(u.user, userFileRefs);
  return stringify(config);
}
