/**
 * A Date that serializes as a Kubernetes MicroTime (RFC 3339 with exactly six fractional digits).
 * The client serializes Date fields with toISOString(), whose three digits the API server rejects
 * for MicroTime fields such as Lease.spec.renewTime and Event.eventTime.
 */
export class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
  }

  override toJSON(): string {
    return this.toISOString();
  }
}
