/**
 * What a mock (SMTP, SMS) received, in order, with a way for tests to wait until enough has come.
 */
export class MessageLog<M> {
  readonly messages: M[] = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly label: string) {}

  push(message: M): void {
    this.messages.push(message);
    for (const wake of this.waiters.splice(0)) wake();
  }

  clear(): void {
    this.messages.length = 0;
  }

  /** The first `count` messages, once they are there; throws after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<M[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: ${this.messages.length} of ${count} messages after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages.slice(0, count);
  }
}
