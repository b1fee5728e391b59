/** The API group and version of every Meridian kind. */
export const group = "meridian.dev";
export const version = "v1alpha1";
export const apiVersion = `${group}/${version}` as const;
