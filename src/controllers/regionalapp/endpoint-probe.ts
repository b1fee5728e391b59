/**
 * The optional per-region HTTP health check: GET `url`, expect `expectStatus`. Redirects are not
 * followed (a redirect to a login page is not health).
 */
export async function probeEndpoint(
  url: string,
  expectStatus: number,
  timeoutMs: number,
): Promise<{ ok: boolean; message: string }> {
  try {
    const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === expectStatus
      ? { ok: true, message: `HTTP ${res.status}` }
      : { ok: false, message: `GET ${url} answered HTTP ${res.status}, expected ${expectStatus}` };
  } catch (err) {
    const why =
      err instanceof Error && err.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : String((err as Error).cause ?? err);
    return { ok: false, message: `GET ${url} failed: ${why}` };
  }
}
