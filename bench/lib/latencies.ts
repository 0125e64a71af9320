// The latencies a load generator records, in whatever unit it measures (µs, ms): a Float64Array
// growing by doubling, as a plain number[] of millions of entries costs GC time in the generator.
export class Latencies {
  data = new Float64Array(1 << 16);
  n = 0;
  push(value: number): void {
    if (this.n === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = value;
  }
  reset(): void {
    this.n = 0;
  }
  /** Median, 99th percentile and maximum of what was recorded (0 when nothing was). */
  percentiles(): { p50: number; p99: number; max: number } {
    const a = this.data.subarray(0, this.n).sort();
    const q = (p: number): number => (this.n === 0 ? 0 : a[Math.min(this.n - 1, Math.floor(p * this.n))]!);
    return { p50: q(0.5), p99: q(0.99), max: this.n === 0 ? 0 : a[this.n - 1]! };
  }
}
