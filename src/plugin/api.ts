// The public plugin API, `nsbox/plugin`: the one module a plugin imports (built-in) or receives as
// its factory's argument (third-party, which cannot resolve nsbox's node_modules from where it
// is installed). Built-in plugins use exactly this; what they need of the host comes as services
// in their hook and command context (services.ts), never from an import of src/core or src/cli.
import * as v from "valibot";
import { flagsOf, isHelpRequest, scanArgs, wordsOf } from "../base/argv.ts";
import { ArgError, PluginError, UsageError } from "../base/errors.ts";
import { formatIssue } from "../model/plan.ts";
import { AbsPath, NAME_PATTERN, ZONE_NAME_PATTERN } from "../model/schema.ts";
import { formatListenAddress, parseListenAddress } from "../model/sockaddr.ts";
import { MAX_PUBLISH, parsePublish, publishAddressProblem } from "../model/publish.ts";
import { definePlugin, PLUGIN_API_VERSION, type NsboxPlugin } from "./define.ts";
import { describeSocket, ZONE_POLICIES } from "./services.ts";

export type {
  CommandContext, CommandRun, HookContext, NsboxPlugin, OwnFlag, PluginCommand, PluginHooks, PluginPlanContext, StateStore,
} from "./define.ts";
export type * from "./services.ts";
export type { ArgFlag, ArgWord, FlagShape, ScannedArgs, ScanOptions } from "../base/argv.ts";
export type { PlanContext } from "../model/context.ts";
export type { NormalSpec } from "../model/normalize.ts";
export type { SandboxSpecInput } from "../model/schema.ts";
export type { ListenAddress } from "../model/sockaddr.ts";
/** One entry of a spec's `network.publish` (what `--publish` makes; `parsePublish` reads its text). */
export type { PublishInput } from "../model/publish.ts";

export {
  AbsPath, ArgError, definePlugin, describeSocket, flagsOf, formatIssue, formatListenAddress, isHelpRequest, MAX_PUBLISH, NAME_PATTERN, parseListenAddress,
  parsePublish, PLUGIN_API_VERSION, PluginError, publishAddressProblem, scanArgs, UsageError, v, wordsOf, ZONE_NAME_PATTERN, ZONE_POLICIES,
};

/**
 * Every value above, as one frozen object: what a third-party plugin's factory is called with
 * (frozen, so a plugin cannot swap a helper for the plugins loaded after it).
 */
export const pluginApi = Object.freeze({
  apiVersion: PLUGIN_API_VERSION,
  AbsPath, ArgError, definePlugin, describeSocket, flagsOf, formatIssue, formatListenAddress, isHelpRequest, MAX_PUBLISH, NAME_PATTERN, parseListenAddress,
  parsePublish, PLUGIN_API_VERSION, PluginError, publishAddressProblem, scanArgs, UsageError, v, wordsOf, ZONE_NAME_PATTERN, ZONE_POLICIES,
});

export type PluginApi = typeof pluginApi;

/** The default export of a third-party plugin file: `(api) => api.definePlugin({...})`. */
export type PluginFactory = (api: PluginApi) => NsboxPlugin<any> | Promise<NsboxPlugin<any>>;
