// `nsbox netzone create|ls|show|rm`: zones on this host, through the zone service in the command
// context (the engine is core networking, see docs/plugins.md). Members join with
// `nsbox run --zone NAME -- CMD`.
import { UsageError, type CommandContext, type PluginCommand } from "nsbox/plugin";
import { parseArgs } from "./args.ts";

const CREATE_USAGE =
  "NAME [--policy internet|lan|isolated] [--subnet CIDR] [--lan CIDR,..] [--uplink IFACE] [--dns ADDR,..] [--allow-host PORT,..] [--peers]";

function oneName(words: string[], usage: string): string {
  if (words.length !== 1) throw new UsageError(`give one zone name; usage: nsbox netzone ${usage}`);
  return words[0]!;
}

export const commands: PluginCommand[] = [
  {
    name: "create",
    description: "Create a zone: a bridge nz-NAME with the gateway address and its nftables policy (internet, lan or isolated)",
    usage: CREATE_USAGE,
    run(args: readonly string[], ctx: CommandContext): number {
      const p = parseArgs(args, { values: ["policy", "subnet", "uplink"], lists: ["lan", "dns", "allow-host"], switches: ["peers"] }, CREATE_USAGE);
      const name = oneName(p.words, `create ${CREATE_USAGE}`);
      const zone = ctx.zones.create({
        name,
        policy: p.values.policy,
        subnet: p.values.subnet,
        uplink: p.values.uplink,
        lan: p.lists.lan,
        dns: p.lists.dns,
        allowHost: p.lists["allow-host"],
        peers: p.switches.has("peers"),
      });
      ctx.log.info(`zone ${zone.name}: ${zone.policy}, ${zone.subnet} (gateway ${zone.gateway})`);
      return 0;
    },
  },
  {
    name: "ls",
    description: "List the zones: name, policy, subnet, members",
    usage: "[--json]",
    run(args, ctx) {
      const p = parseArgs(args, { switches: ["json"] }, "[--json]");
      if (p.words.length) throw new UsageError("usage: nsbox netzone ls [--json]");
      const zones = ctx.zones.list();
      if (p.switches.has("json")) {
        ctx.stdout(`${JSON.stringify(zones.map((z) => ({ ...z, members: ctx.zones.members(z.name) })))}\n`);
        return 0;
      }
      const rows = zones.map((z) => `${z.name.padEnd(12)} ${z.policy.padEnd(8)} ${z.subnet.padEnd(18)} ${ctx.zones.members(z.name).length}`);
      ctx.stdout([`${"NAME".padEnd(12)} ${"POLICY".padEnd(8)} ${"SUBNET".padEnd(18)} MEMBERS`, ...rows, ""].join("\n"));
      return 0;
    },
  },
  {
    name: "show",
    description: "Show a zone: what its members reach, IPv6 handling, members",
    usage: "NAME [--json]",
    run(args, ctx) {
      const p = parseArgs(args, { switches: ["json"] }, "NAME [--json]");
      const name = oneName(p.words, "show NAME [--json]");
      const zone = ctx.zones.get(name);
      if (!zone) throw new UsageError(`no zone ${name}`, "nsbox netzone ls");
      const m = ctx.zones.members(name);
      ctx.stdout(p.switches.has("json") ? `${JSON.stringify({ ...zone, members: m })}\n` : `${ctx.zones.describe(zone, m)}\n`);
      return 0;
    },
  },
  {
    name: "rm",
    description: "Remove a zone: its bridge, nftables tables and records (refused while members run, unless --force)",
    usage: "NAME [--force]",
    run(args, ctx) {
      const p = parseArgs(args, { switches: ["force"] }, "NAME [--force]");
      const name = oneName(p.words, "rm NAME [--force]");
      ctx.zones.remove(name, { force: p.switches.has("force") });
      ctx.log.info(`zone ${name} removed`);
      return 0;
    },
  },
];
