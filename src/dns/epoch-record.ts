// The epoch of the failover that last wrote a hostname's records, published next to them so that
// anyone (and Meridian after a restart) can see which failover the records belong to, and so
// that an actor holding an older epoch never overwrites a newer one's records (invariant 5).
//
// rfc2136 keeps it in a TXT record `_meridian-epoch.<hostname>` ("epoch=7"); a child name, so
// it can sit beside a CNAME. dnsEndpoint keeps it in the annotation meridian.dev/epoch.

export const epochRecordName = (hostname: string) => `_meridian-epoch.${hostname.replace(/\.$/, "")}`;

export const epochText = (epoch: number) => `epoch=${epoch}`;

/** The epoch in a TXT RRset's strings, or undefined when there is none. The highest wins if several. */
export function parseEpoch(txtRecords: string[][]): number | undefined {
  const epochs = txtRecords.flat().flatMap((s) => {
    const m = /^epoch=(\d+)$/.exec(s);
    return m ? [Number(m[1])] : [];
  });
  return epochs.length > 0 ? Math.max(...epochs) : undefined;
}
