/** A fixed-size ring: keeps the newest `capacity` items, oldest first when read. */
export class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The item `i` places from the oldest (0) — or from the newest when `i` is negative (-1 the newest). */
  at(i: number): T | undefined {
    const n = this.items.length;
    const k = i < 0 ? n + i : i;
    if (k < 0 || k >= n) return undefined;
    return this.items[(this.start + k) % n];
  }

  /** Every item, oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}
