/**
 * Answers as the generator receives them, kept as plain numbers in arrays allocated once: recording
 * one costs five array writes on the response path. The histograms (HDR bucket lookups, status
 * maps) are updated later, a batch at a time, when the generator has sent what was due (`drain`).
 */
export class ResponseLog {
  private readonly phase: Uint32Array;
  private readonly second: Uint32Array;
  private readonly status: Uint16Array;
  private readonly latencyUs: Float64Array;
  private readonly bytes: Float64Array;
  private length = 0;

  /** `onFull` must drain the log: it is called when an answer arrives and there is no room left. */
  constructor(
    readonly capacity: number,
    private readonly onFull: () => void,
  ) {
    this.phase = new Uint32Array(capacity);
    this.second = new Uint32Array(capacity);
    this.status = new Uint16Array(capacity);
    this.latencyUs = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
  }

  get size(): number {
    return this.length;
  }

  push(phase: number, second: number, status: number, latencyUs: number, bytes: number): void {
    if (this.length === this.capacity) this.onFull();
    const i = this.length++;
    this.phase[i] = phase;
    this.second[i] = second;
    this.status[i] = status;
    this.latencyUs[i] = latencyUs;
    this.bytes[i] = bytes;
  }

  /** Hands every logged answer to `record`, oldest first, and empties the log. */
  drain(record: (phase: number, second: number, status: number, latencyUs: number, bytes: number) => void): void {
    for (let i = 0; i < this.length; i++) record(this.phase[i]!, this.second[i]!, this.status[i]!, this.latencyUs[i]!, this.bytes[i]!);
    this.length = 0;
  }
}
