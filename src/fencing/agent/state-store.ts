// The agent's memory across restarts: what it guards, in a ConfigMap of its own member cluster, so
// that an agent restarted while the hub is out of reach still knows what to fence.
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { isConflict, isNotFound } from "../../runtime/api-errors.ts";
import { type PersistedState, parseState, serializeState } from "./assignments.ts";

export const stateConfigMapName = (cluster: string) => `meridian-agent-${cluster}`;
export const stateKey = "state.json";

export class StateStore {
  readonly #api: CoreV1Api;
  readonly #name: string;
  readonly #namespace: string;
  /** The text last written or read: a write happens only when the state changes. */
  #stored: string | undefined;
  #writing = false;
  #pending: string | undefined;

  constructor(member: KubeConfig, cluster: string, namespace: string) {
    this.#api = member.makeApiClient(CoreV1Api);
    this.#name = stateConfigMapName(cluster);
    this.#namespace = namespace;
  }

  get name(): string {
    return this.#name;
  }

  /** The persisted state, undefined when there is none (or it is unreadable). Throws when the API server fails. */
  async load(): Promise<PersistedState | undefined> {
    try {
      const cm = await this.#api.readNamespacedConfigMap({ name: this.#name, namespace: this.#namespace });
      const text = cm.data?.[stateKey];
      const state = parseState(text);
      if (state) this.#stored = text;
      return state;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Writes `state` unless it is what is stored; the latest state wins when writes overlap. */
  async save(state: PersistedState): Promise<boolean> {
    const text = serializeState(state);
    if (text === this.#stored) return false;
    this.#pending = text;
    if (this.#writing) return false;
    this.#writing = true;
    try {
      while (this.#pending !== undefined && this.#pending !== this.#stored) {
        const next = this.#pending;
        await this.#write(next);
        this.#stored = next;
      }
      return true;
    } finally {
      this.#pending = undefined;
      this.#writing = false;
    }
  }

  async #write(text: string): Promise<void> {
    const body = { metadata: { name: this.#name, namespace: this.#namespace }, data: { [stateKey]: text } };
    try {
      await this.#api.replaceNamespacedConfigMap({ name: this.#name, namespace: this.#namespace, body });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.#api.createNamespacedConfigMap({ namespace: this.#namespace, body });
      } catch (createErr) {
        if (!isConflict(createErr)) throw createErr;
        await this.#api.replaceNamespacedConfigMap({ name: this.#name, namespace: this.#namespace, body });
      }
    }
  }
}
