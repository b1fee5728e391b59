import { DatabaseUriInvalid } from "./errors.ts";

/** Meridian's connections go here, never to the application database, which the fence closes. */
export const maintenanceDatabase = "postgres";

/** Databases a uri may not name: fencing them would lock Meridian out or break CREATE DATABASE. */
const reservedDatabases = new Set([maintenanceDatabase, "template0", "template1"]);

/** A region's database as the promoter uses it, parsed from the Secret's `uri`. */
export interface DatabaseTarget {
  /** The application database the fence closes, e.g. appdb. */
  database: string;
  /** The same server, user and options, but the maintenance database. */
  maintenanceUri: string;
  /** The uri as given: the application database, as the application reaches it (verifyWrite only). */
  applicationUri: string;
  /** The uri with its password masked: safe in messages and logs. */
  redacted: string;
  /** The password as the uri encodes it and decoded: scrubbed from any text we pass on. */
  secrets: string[];
}

const example = "postgres://meridian:PASSWORD@db.example:5432/appdb";

/** Parses a region's database uri; the error never repeats the uri, which holds the password. */
export function parseDatabaseUri(uri: string): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new DatabaseUriInvalid(`the database uri is not a URL; expected the form ${example}`);
  }
  // Until the scheme and host are right, the password may sit anywhere in the text: echo none of it.
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new DatabaseUriInvalid(
      `the database uri's scheme must be postgres:// or postgresql://, as in ${example}`,
    );
  }
  if (!url.hostname) {
    throw new DatabaseUriInvalid(`the database uri names no host; expected the form ${example}`);
  }
  const passwords = [url.password, url.searchParams.get("password") ?? ""];
  const secrets = [...new Set(passwords.flatMap((p) => [p, decodeOrKeep(p)]))].filter(Boolean);
  const redacted = redact(url);
  const database = decodeOrKeep(url.pathname.slice(1));
  if (!database || database.includes("/")) {
    throw new DatabaseUriInvalid(
      `${redacted}: the path must name the application's database, as in ${example}`,
    );
  }
  if (reservedDatabases.has(database)) {
    throw new DatabaseUriInvalid(
      `${redacted}: names the database ${database}, but Meridian fences the database the uri names and works through ${maintenanceDatabase}; name the application's database instead`,
    );
  }
  const maintenance = new URL(url.href);
  maintenance.pathname = `/${maintenanceDatabase}`;
  return { database, maintenanceUri: maintenance.href, applicationUri: uri, redacted, secrets };
}

/** Replaces every occurrence of a secret in `text`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.replaceAll(secret, "***"), text);
}

/** The URL with its password masked, also one given as a query parameter (the pg driver reads it). */
function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = "***";
  if (copy.searchParams.has("password")) copy.searchParams.set("password", "***");
  return copy.href;
}

function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
