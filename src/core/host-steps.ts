// Host preparation as an ordered list of steps, each returning what undoes it. A step that
// fails stops the list, and what the steps before it made is undone in reverse order, so a
// start that fails leaves nothing behind (DESIGN.md §6). Adding a step is one entry in a list.
import { logger } from "./log.ts";

const log = logger("run");

export interface HostStep<C> {
  /** What the step makes, for the warning when undoing it fails. */
  name: string;
  /** Makes it (recording it first, where a killed run must be collectable by gc); returns its undo. */
  prepare(ctx: C): (() => void) | void;
}

export interface PreparedSteps {
  /** Undoes what the steps made, last first; a second call does nothing. */
  undo(): void;
}

/** Runs `steps` in order on `ctx`; on a failure undoes the ones done, then throws the failure. */
export function runSteps<C>(steps: readonly HostStep<C>[], ctx: C): PreparedSteps {
  const done: { name: string; undo: () => void }[] = [];
  const undo = () => {
    for (const step of done.splice(0).reverse()) {
      try {
        step.undo();
      } catch (e) {
        // One undo failing must not keep the others from running: say so and go on.
        log.warn(`could not undo the ${step.name}: ${(e as Error).message}`);
      }
    }
  };
  for (const step of steps) {
    try {
      const undoStep = step.prepare(ctx);
      if (undoStep) done.push({ name: step.name, undo: undoStep });
    } catch (e) {
      undo();
      throw e;
    }
  }
  return { undo };
}
