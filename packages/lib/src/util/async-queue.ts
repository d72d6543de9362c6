/** A push-based queue consumed as an async iterator; `end()` finishes it, `fail()` rejects the next read. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private rejectWaiting: ((e: unknown) => void) | null = null;
  private done = false;
  private error: unknown = undefined;

  constructor(private readonly onReturn?: () => void) {}

  push(item: T): void {
    if (this.done) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.rejectWaiting = null;
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  end(): void {
    this.done = true;
    if (this.waiting && this.size === 0) {
      const w = this.waiting;
      this.waiting = this.rejectWaiting = null;
      w({ value: undefined, done: true });
    }
  }

  fail(err: unknown): void {
    this.error = err;
    this.done = true;
    if (this.rejectWaiting) {
      const r = this.rejectWaiting;
      this.waiting = this.rejectWaiting = null;
      r(err);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head++];
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.rejectWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.items = [];
    this.head = 0;
    this.onReturn?.();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.rejectWaiting = null;
      w({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
