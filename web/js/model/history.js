// One undo/redo stack for every change to the workflow. A command is {label, apply(),
// revert()}; a transaction groups the commands executed inside it into one step, so a drag,
// a paste or an auto-layout undoes at once.

export class History {
  constructor({ limit = 200 } = {}) {
    this.limit = limit;
    this.done = [];
    this.undone = [];
    this.open = null; // the commands of the transaction being recorded, or null
    this.depth = 0;
  }

  /** Applies `command` and records it (in the open transaction, if any). Returns the command. */
  execute(command) {
    command.apply();
    this.record(command);
    return command;
  }

  /** Records a command that has already been applied (e.g. a drag previewed live). */
  record(command) {
    if (this.open) {
      this.open.commands.push(command);
      return;
    }
    this.done.push(command);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  /**
   * Runs `fn`; every command executed meanwhile becomes one step labelled `label`. Nested
   * transactions join the outer one. If `fn` throws, what it did is reverted and nothing is recorded.
   */
  transaction(label, fn) {
    this.begin(label);
    try {
      const result = fn();
      this.commit();
      return result;
    } catch (error) {
      this.cancel();
      throw error;
    }
  }

  begin(label) {
    if (this.depth++ === 0) this.open = { label, commands: [] };
  }

  commit() {
    if (this.depth === 0) throw new Error('commit without begin');
    if (--this.depth > 0) return;
    const { label, commands } = this.open;
    this.open = null;
    if (!commands.length) return;
    this.record(commands.length === 1 ? commands[0] : batch(label, commands));
  }

  /** Reverts and forgets the commands of the open transaction (all levels). */
  cancel() {
    if (!this.open) return;
    const { commands } = this.open;
    this.open = null;
    this.depth = 0;
    for (let i = commands.length - 1; i >= 0; i--) commands[i].revert();
  }

  get canUndo() {
    return this.done.length > 0 && !this.open;
  }

  get canRedo() {
    return this.undone.length > 0 && !this.open;
  }

  /** Label of the step undo would revert, or null. */
  get undoLabel() {
    return this.done.at(-1)?.label ?? null;
  }

  get redoLabel() {
    return this.undone.at(-1)?.label ?? null;
  }

  /** Reverts the newest step; returns it, or null when there is none. */
  undo() {
    if (!this.canUndo) return null;
    const command = this.done.pop();
    command.revert();
    this.undone.push(command);
    return command;
  }

  redo() {
    if (!this.canRedo) return null;
    const command = this.undone.pop();
    command.apply();
    this.done.push(command);
    return command;
  }

  clear() {
    this.done = [];
    this.undone = [];
  }
}

/** One command made of several, applied in order and reverted in reverse. */
export function batch(label, commands) {
  return {
    label,
    commands,
    apply() {
      for (const c of commands) c.apply();
    },
    revert() {
      for (let i = commands.length - 1; i >= 0; i--) commands[i].revert();
    },
  };
}
