// Brings the local multi-region test bed up and down by hand, e.g.
//   hack/dev npm run testbed -- up us-east eu-west ap-south
//   hack/dev npm run testbed -- stop eu-west      # a region outage
//   hack/dev npm run testbed -- start eu-west
//   hack/dev npm run testbed -- kubeconfig eu-west > /tmp/eu-west.yaml
//   hack/dev npm run testbed -- down
// It uses a workdir of its own (.testbed/manual), so it never touches the clusters of a running test
// suite; MERIDIAN_TESTBED_DIR names another, e.g. to inspect the clusters a test run left up.
import { resolve } from "node:path";
import { binariesDir } from "../test/harness/binaries.ts";
import { isReady, Testbed } from "../test/harness/testbed.ts";

const usage = `usage: npm run testbed -- <command>
  up [region...]      start regions (default: us-east eu-west ap-south)
  stop <region>       stop a region's control plane (an outage)
  start <region>      start it again
  status              list regions and whether their API server is ready
  kubeconfig <region> print a region's kubeconfig (certificates embedded)
  down                delete every region`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const workdir = process.env.MERIDIAN_TESTBED_DIR ?? resolve(import.meta.dirname, "../.testbed/manual");
  const bed = new Testbed(await binariesDir(), workdir);
  const one = () => {
    if (args.length !== 1) throw new UsageError(`${command} takes exactly one region`);
    return args[0] as string;
  };
  switch (command) {
    case "up": {
      const names = args.length > 0 ? args : ["us-east", "eu-west", "ap-south"];
      const existing = new Set(await bed.regions());
      for (const name of names) {
        if (existing.has(name)) {
          console.log(`${name}: already exists`);
          continue;
        }
        const started = performance.now();
        const region = await bed.create(name);
        console.log(`${name}: ${region.server} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
      return 0;
    }
    case "stop":
      await bed.stop(one());
      return 0;
    case "start":
      await bed.start(one());
      return 0;
    case "status":
      for (const name of await bed.regions()) {
        const region = await bed.region(name);
        console.log(`${name}\t${region.server}\t${(await isReady(region)) ? "ready" : "down"}`);
      }
      return 0;
    case "kubeconfig":
      process.stdout.write((await bed.region(one())).kubeconfig);
      return 0;
    case "down":
      await bed.down();
      return 0;
    default:
      throw new UsageError(command ? `unknown command ${command}` : "no command given");
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err instanceof UsageError ? `${err.message}\n${usage}` : err.message);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
