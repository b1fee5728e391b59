import { AppsV1Api, PatchStrategy, setHeaderOptions, type V1Deployment } from "@kubernetes/client-node";
import { kubeConfigFor, type Region } from "./testbed.ts";

/** A Deployment of `replicas` pods that kwok runs on the fake node. */
export function deployment(name: string, namespace: string, replicas: number): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "app", image: "registry.example/app:1" }] },
      },
    },
  };
}

export function appsApi(region: Region): AppsV1Api {
  return kubeConfigFor(region).makeApiClient(AppsV1Api);
}

/** Scales a Deployment in a region, as `kubectl scale` would. */
export async function scaleDeployment(
  region: Region,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  await appsApi(region).patchNamespacedDeploymentScale(
    { name, namespace, body: { spec: { replicas } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}
