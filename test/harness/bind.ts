// A real BIND 9 authoritative server for tests and benchmarks: `named` in the foreground on a free
// loopback port, with generated TSIG keys and zones in a temporary folder. Vitest-free, so the
// bench and hack scripts use it too; tests start it in beforeAll and stop it in afterAll.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pollUntil } from "./poll.ts";

const run = promisify(execFile);

export interface BindKey {
  name: string;
  algorithm: string;
  /** Base64, as tsig-keygen prints it. */
  secret: string;
}

export interface BindZone {
  name: string;
  /** Zone-file lines after the SOA, NS and ns1 A records, e.g. "app 300 IN A 203.0.113.10". */
  records?: string[];
  /**
   * The zone's update-policy rules, e.g. "grant meridian-key zonesub ANY". Default: the first key
   * may change anything in the zone. An empty list makes the zone static (no updates at all).
   */
  updatePolicy?: string[];
}

export interface BindOptions {
  zones: BindZone[];
  /** Keys to generate; the first signs by default. Default: one hmac-sha256 key named meridian-key. */
  keys?: { name: string; algorithm: string }[];
}

export interface BindServer {
  /** "127.0.0.1:<port>", the form of spec.dns.provider.rfc2136.server. */
  address: string;
  /** The server's folder: config, zone files and journals. */
  dir: string;
  port: number;
  keys: BindKey[];
  /** The first key. */
  key: BindKey;
  /**
   * Runs nsupdate with `commands` (server line and `send` added) signed by `key`, against this
   * server or another port on 127.0.0.1 (a relay); never throws.
   */
  nsupdate(
    commands: string[],
    key?: BindKey,
    port?: number,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** What the server answers for name and type, by `dig +short` (not Meridian's own client). */
  dig(name: string, type: string): Promise<string[]>;
  /** named's log so far (stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const startAttempts = 3;

export async function startBind(opts: BindOptions): Promise<BindServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < startAttempts; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      // Another process may have taken the port between the check and named's bind.
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(opts: BindOptions): Promise<BindServer> {
  const dir = await mkdtemp(join(tmpdir(), "meridian-bind-"));
  const keys: BindKey[] = (opts.keys ?? [{ name: "meridian-key", algorithm: "hmac-sha256" }]).map((k) => ({
    ...k,
    secret: randomBytes(32).toString("base64"),
  }));
  const firstKey = keys[0] as BindKey;
  const port = await freeUdpAndTcpPort();
  await writeFile(join(dir, "keys.conf"), keys.map(keyClause).join(""));
  for (const z of opts.zones) await writeFile(join(dir, `db.${z.name}`), zoneFile(z));
  await writeFile(join(dir, "named.conf"), namedConf(dir, port, opts.zones, firstKey));

  // named drops to user bind when started as root, and must then own its folder (zone journals).
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await run("chown", ["-R", "bind:bind", dir]);
  const args = ["-c", join(dir, "named.conf"), "-g", "-n", "1", ...(asRoot ? ["-u", "bind"] : [])];
  const proc = spawn("/usr/sbin/named", args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  const killOnExit = () => proc.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    await stopProcess(proc);
    await rm(dir, { recursive: true, force: true });
  };
  // "running" ends named's start-up log; "running as: named ..." at its beginning does not count.
  const state = await pollUntil("named to start", 15_000, () => {
    if (proc.exitCode !== null || /could not listen|address in use/i.test(log)) return "failed";
    return /\srunning$/m.test(log) ? "running" : undefined;
  }).catch((err: Error) => err.message);
  if (state !== "running") {
    await stop();
    throw new Error(`named did not start on port ${port} (${state}):\n${log}`);
  }

  const address = `127.0.0.1:${port}`;
  return {
    address,
    dir,
    port,
    keys,
    key: firstKey,
    async nsupdate(commands, key = firstKey, target = port) {
      const script = [`server 127.0.0.1 ${target}`, ...commands, "send", ""].join("\n");
      // Keys the server does not know (tests of refusals) need a key file too.
      await writeFile(keyFile(dir, key), keyClause(key));
      return new Promise((resolveRun) => {
        const child = execFile("nsupdate", ["-t", "5", "-k", keyFile(dir, key)], (err, stdout, stderr) => {
          const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
          resolveRun({ code, stdout, stderr });
        });
        child.stdin?.end(script);
      });
    },
    async dig(name, type) {
      const { stdout } = await run("dig", [
        "@127.0.0.1",
        "-p",
        String(port),
        "+norecurse",
        "+short",
        name,
        type,
      ]);
      return stdout.split("\n").filter((l) => l !== "");
    },
    log: () => log,
    stop,
  };
}

const keyFile = (dir: string, key: BindKey) =>
  join(dir, `key-${key.name}-${createHash("sha256").update(key.secret).digest("hex").slice(0, 8)}.conf`);

const keyClause = (k: BindKey) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };\n`;

function zoneFile(z: BindZone): string {
  return [
    "$TTL 300",
    `@ IN SOA ns1.${z.name}. hostmaster.${z.name}. 1 3600 600 86400 60`,
    `@ IN NS ns1.${z.name}.`,
    "ns1 IN A 127.0.0.1",
    ...(z.records ?? []),
    "",
  ].join("\n");
}

function namedConf(dir: string, port: number, zones: BindZone[], firstKey: BindKey): string {
  const zone = (z: BindZone) => {
    const rules = z.updatePolicy ?? [`grant ${firstKey.name} zonesub ANY`];
    const policy = rules.length > 0 ? ` update-policy { ${rules.map((r) => `${r};`).join(" ")} };` : "";
    // Zone transfers signed by the first key: ExternalDNS's rfc2136 provider reads a zone by AXFR.
    const transfer = ` allow-transfer { key "${firstKey.name}"; };`;
    return `zone "${z.name}" { type primary; file "${join(dir, `db.${z.name}`)}";${policy}${transfer} };\n`;
  };
  return [
    "options {",
    `  directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    "  listen-on-v6 { none; };",
    `  pid-file "${join(dir, "named.pid")}";`,
    `  session-keyfile "${join(dir, "session.key")}";`,
    `  managed-keys-directory "${dir}";`,
    "  recursion no;",
    "  dnssec-validation no;",
    "};",
    // No rndc channel: two servers on one machine would both want port 953.
    "controls { };",
    `include "${join(dir, "keys.conf")}";`,
    ...zones.map(zone),
  ].join("\n");
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(killer);
}

/** A port free for both TCP and UDP on 127.0.0.1 (named listens on both). */
async function freeUdpAndTcpPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolvePort, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const { port: p } = srv.address() as { port: number };
        srv.close(() => resolvePort(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolveFree) => {
      const s = createSocket("udp4");
      s.once("error", () => resolveFree(false));
      s.bind(port, "127.0.0.1", () => s.close(() => resolveFree(true)));
    });
    if (udpFree) return port;
  }
}
