// netzone: named network zones for sandboxes. A zone is a bridge on the host with a gateway
// address and an nftables policy (internet: anything but the LAN, masqueraded; lan: only the LAN;
// isolated: nothing). `nsbox run --zone NAME` puts a sandbox in it; the policy is enforced in the
// host's namespace, where a payload with CAP_NET_ADMIN in its own namespace cannot reach it.
import { definePlugin, UsageError, v, ZONE_NAME_PATTERN } from "nsbox/plugin";
import { commands } from "./commands.ts";

export const NetzoneOptions = v.strictObject({
  /** The zone to run in (the same as `nsbox run --zone NAME`). */
  inZone: v.pipe(
    v.string(),
    v.regex(ZONE_NAME_PATTERN, "must be a zone name (1-12 of a-z, 0-9, '-')"),
    v.description("the zone the sandbox joins (nsbox netzone create NAME)"),
    v.metadata({ metavar: "NAME" }),
  ),
});

export default definePlugin({
  name: "netzone",
  apiVersion: 1,
  version: "0.1.0",
  description: "Network zones: a bridge and an nftables policy (internet, lan or isolated) that sandboxes join (nsbox run --zone NAME)",
  options: NetzoneOptions,
  plan(options, ctx) {
    const base = ctx.base;
    if (base.network?.mode === "host" || base.namespaces?.net?.mode === "host" || base.namespaces?.net?.mode === "join")
      throw new UsageError("a zone member needs a new network namespace: drop --net host / --share net / --join net");
    if (base.network?.mode === "none") throw new UsageError("--net none asks for no interface: it cannot be combined with a zone");
    return { ...base, namespaces: { ...base.namespaces, net: { mode: "new" } }, network: { mode: "zone", zone: options.inZone } };
  },
  commands,
  hooks: {
    // Zones need libnftables; say so at `plugin add` rather than at the first `create`.
    setup(ctx) {
      ctx.zones.requireNftables();
      ctx.log.info("ready: nsbox netzone create NAME --policy internet|lan|isolated");
    },
    // Removing the plugin removes its zones (refused while a member runs: nothing is half-removed).
    teardown(ctx) {
      for (const z of ctx.zones.list()) {
        ctx.zones.remove(z.name);
        ctx.log.info(`zone ${z.name} removed`);
      }
    },
  },
  example: [
    "nsbox netzone create web --policy internet --dns 192.0.2.53 --allow-host 3128",
    "nsbox run --zone web -- curl https://example.org/   # out via the uplink, not to the LAN",
    "nsbox netzone create lab --policy lan --lan 203.0.113.0/24",
    "nsbox netzone show web",
    "nsbox netzone rm web",
  ].join("\n"),
});
