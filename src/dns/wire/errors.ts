/** A DNS message that cannot be encoded or decoded: bad input, or a malformed packet from the wire. */
export class WireError extends Error {}
