/** Per-key async mutex: callers for one key run one at a time, in arrival order. */
export class KeyedMutex {
  private tails = new Map<string, Promise<void>>();

  async lock(keys: string[]): Promise<() => void> {
    const sorted = [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    for (const key of sorted) releases.push(await this.lockOne(key));
    return () => {
      for (const r of releases.reverse()) r();
    };
  }

  private async lockOne(key: string): Promise<() => void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  get busy(): number {
    return this.tails.size;
  }
}
