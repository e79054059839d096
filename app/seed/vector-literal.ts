/**
 * pgvector's text form `[x,y,...]`. Sent as text (node-postgres' default), parsed by the
 * server as float4; String() is the fastest exact formatting in V8 (toPrecision is ~3x slower).
 */
export function toVectorLiteral(vector: readonly number[]): string {
  let text = '[';
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i]!;
    if (!Number.isFinite(value)) throw new Error(`embedding value ${value} at position ${i} is not a finite number`);
    text += i === 0 ? String(value) : `,${value}`;
  }
  return `${text}]`;
}
