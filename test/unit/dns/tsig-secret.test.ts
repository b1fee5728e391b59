import { describe, expect, it } from "vitest";
import { DnsError } from "../../../src/dns/provider.ts";
import { tsigKeyFromSecretData } from "../../../src/dns/tsig-secret.ts";

/** A Secret's data as the API returns it: every value base64-encoded. */
const data = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
const secret = Buffer.alloc(32, 5).toString("base64");

function refusal(values: Record<string, string>): DnsError {
  try {
    tsigKeyFromSecretData(data(values), "shop/tsig");
  } catch (err) {
    expect(err).toBeInstanceOf(DnsError);
    return err as DnsError;
  }
  throw new Error("the Secret was accepted");
}

describe("TSIG key from a Secret", () => {
  it("reads name, secret and algorithm, defaulting the algorithm to hmac-sha256", () => {
    expect(tsigKeyFromSecretData(data({ name: "meridian-key", secret }), "shop/tsig")).toEqual({
      name: "meridian-key",
      algorithm: "hmac-sha256",
      secret: Buffer.alloc(32, 5),
    });
    const sha512 = tsigKeyFromSecretData(
      data({ name: "k", secret, algorithm: "HMAC-SHA512.\n" }),
      "shop/tsig",
    );
    expect(sha512.algorithm).toBe("hmac-sha512");
  });

  it.each([
    [{ secret }, 'has no "name"'],
    [{ name: "k" }, 'has no "secret"'],
    [{ name: "k", secret: "not base64!" }, "is not base64"],
    [{ name: "a..b", secret }, "is not a DNS name"],
    [{ name: "k", secret, algorithm: "hmac-md5" }, "hmac-sha256"],
  ])("refuses %j as DnsCredentialsInvalid, saying %s", (values, says) => {
    const err = refusal(values);
    expect(err.reason).toBe("DnsCredentialsInvalid");
    expect(err.message).toContain("shop/tsig");
    expect(err.message).toContain(says);
  });
});
