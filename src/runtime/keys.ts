/** The work-queue key of an object: "namespace/name", or "name" when cluster-scoped. */
export function keyOf(obj: { metadata?: { name?: string; namespace?: string } }): string {
  const { name = "", namespace } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a key made by keyOf. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
