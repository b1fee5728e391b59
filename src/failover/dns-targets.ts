import type { RegionalApp } from "../api/types.generated.ts";

/**
 * The DNS targets once `target` is primary and `from` is fenced: ActivePassive names only the
 * target; ActiveActive names every region judged healthy except the fenced one, plus the target.
 * A fenced region is never named (invariant 7).
 */
export function desiredTargets(app: RegionalApp, target: string, from: string): string[] {
  const endpoint = (name: string) => app.spec.regions.find((r) => r.name === name)?.endpoint;
  const names =
    app.spec.topology === "ActiveActive"
      ? app.spec.regions
          .filter(
            (r) =>
              r.name !== from &&
              (r.name === target || app.status?.regions?.find((s) => s.name === r.name)?.healthy === true),
          )
          .map((r) => r.name)
      : [target];
  return names.map(endpoint).filter((e): e is string => e !== undefined);
}
