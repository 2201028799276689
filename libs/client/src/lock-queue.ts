/**
 * Named exclusive sections inside one JavaScript realm: holders of one name run one after
 * another, in the order they asked. MemoryStorage offers it as its `lock`; an AuthClient whose
 * storage has no `lock` uses its own, so its refresh, login and logout never interleave.
 */
export class LockQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const result = previous.then(fn);
    // The tail never rejects, or one failed holder would fail every later one.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return result;
  }
}
