// The object a third-party plugin's factory is called with (define.ts PluginApi). Frozen, so a
// plugin cannot swap definePlugin or valibot for the plugins loaded after it.
import * as v from "valibot";
import { UsageError } from "../core/errors.ts";
import { definePlugin, PLUGIN_API_VERSION, type PluginApi } from "./define.ts";

export const pluginApi: PluginApi = Object.freeze({ apiVersion: PLUGIN_API_VERSION, definePlugin, v, UsageError });
