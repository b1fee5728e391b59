import { describe, expect, it } from "vitest";
import { DatabaseUriInvalid } from "../../../src/promotion/postgresql/errors.ts";
import { parseDatabaseUri, scrubSecrets } from "../../../src/promotion/postgresql/uri.ts";

const password = "s3cret-Pa55";

describe("parseDatabaseUri", () => {
  it("names the application database and reaches the same server through the maintenance database", () => {
    const target = parseDatabaseUri(
      `postgres://meridian:${password}@db.example:5433/checkout?sslmode=require`,
    );
    expect(target.database).toBe("checkout");
    expect(target.maintenanceUri).toBe(
      `postgres://meridian:${password}@db.example:5433/postgres?sslmode=require`,
    );
    expect(target.redacted).toBe("postgres://meridian:***@db.example:5433/checkout?sslmode=require");
    expect(target.secrets).toEqual([password]);
  });

  it("accepts the postgresql:// scheme and decodes a percent-encoded database name", () => {
    expect(parseDatabaseUri("postgresql://meridian@127.0.0.1/shop%20eu").database).toBe("shop eu");
  });

  it("keeps a percent-encoded password out of the redacted form, in both spellings", () => {
    const target = parseDatabaseUri("postgres://meridian:p%40ss%3Aword@127.0.0.1:5432/appdb");
    expect(target.secrets).toEqual(["p%40ss%3Aword", "p@ss:word"]);
    expect(target.redacted).toBe("postgres://meridian:***@127.0.0.1:5432/appdb");
  });

  const refused: [string, string, RegExp][] = [
    ["not a URL", `//meridian:${password}@db:5432/appdb`, /not a URL; expected the form postgres:\/\//],
    ["a missing scheme", `meridian:${password}@db:5432/appdb`, /scheme must be postgres:\/\//],
    ["another scheme", `mysql://meridian:${password}@db:3306/appdb`, /scheme must be postgres:\/\//],
    ["no host", "postgres:///appdb", /names no host/],
    ["no authority, the password in the path", `postgres:meridian:${password}@db/appdb`, /names no host/],
    ["no database", `postgres://meridian:${password}@db:5432`, /path must name the application's database/],
    [
      "a nested path",
      `postgres://meridian:${password}@db:5432/a/b`,
      /path must name the application's database/,
    ],
    [
      "the maintenance database",
      `postgres://meridian:${password}@db:5432/postgres`,
      /names the database postgres/,
    ],
    [
      "a template database",
      `postgres://meridian:${password}@db:5432/template1`,
      /names the database template1/,
    ],
  ];

  it("masks a password given as a query parameter, which the pg driver also reads", () => {
    const target = parseDatabaseUri(`postgres://meridian@127.0.0.1:5432/appdb?password=${password}`);
    expect(target.secrets).toEqual([password]);
    expect(target.redacted).toBe("postgres://meridian@127.0.0.1:5432/appdb?password=***");
  });

  it.each(refused)("refuses %s, without repeating the password", (_, uri, message) => {
    let caught: unknown;
    try {
      parseDatabaseUri(uri);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DatabaseUriInvalid);
    expect(caught).toMatchObject({ reason: "DatabaseUriInvalid", name: "DatabaseUriInvalid" });
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain(password);
  });
});

describe("scrubSecrets", () => {
  it("masks every occurrence of every secret", () => {
    expect(scrubSecrets("a p@ss b p%40ss c p@ss", ["p%40ss", "p@ss"])).toBe("a *** b *** c ***");
  });
});
