// Names given on the command line (sandboxes, persistent namespaces) become file names under
// the state directory: they are checked before any file is touched.
import { UsageError } from "../base/errors.ts";
import { NAME_PATTERN } from "../model/schema.ts";

export function checkName(name: string, where: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(`${where}: '${name}' is not a valid name`, "use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit");
  }
  return name;
}
