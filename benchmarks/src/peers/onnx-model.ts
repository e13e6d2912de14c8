// The two ONNX graphs the ONNX Runtime peers time, written as protobuf bytes here (no python, no
// files): MatMul, and ONNX Runtime's fused MultiHeadAttention (com.microsoft; what its transformer
// optimiser turns a model's attention into, on the CPU and on WebGPU). Only the fields these graphs
// use are encoded (onnx.proto: ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto).

type Field = Uint8Array;
const enc = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const cat = (parts: Field[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
};
const num = (field: number, n: number): Field => new Uint8Array([...varint(field << 3), ...varint(n)]);
const bytes = (field: number, b: Field): Field => cat([new Uint8Array([...varint((field << 3) | 2), ...varint(b.length)]), b]);
const str = (field: number, s: string) => bytes(field, enc.encode(s));

const FLOAT = 1;
/** ValueInfoProto of a float tensor; a string dim is symbolic. */
function valueInfo(name: string, dims: (number | string)[]): Field {
  const shape = cat(dims.map((d) => bytes(1, typeof d === 'number' ? num(1, d) : str(2, d))));
  const tensorType = cat([num(1, FLOAT), bytes(2, shape)]);
  return cat([str(1, name), bytes(2, bytes(1, tensorType))]);
}

function node(op: string, inputs: string[], outputs: string[], opts: { domain?: string; intAttrs?: Record<string, number> } = {}): Field {
  const attrs = Object.entries(opts.intAttrs ?? {}).map(([k, v]) => bytes(5, cat([str(1, k), num(3, v), num(20, 2 /* INT */)])));
  return cat([...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(4, op), ...(opts.domain ? [str(7, opts.domain)] : []), ...attrs]);
}

function model(graph: Field, opsets: [string, number][]): Uint8Array {
  return cat([num(1, 8 /* ir_version */), str(2, 'cleardit-benchmarks'), ...opsets.map(([d, v]) => bytes(8, cat([str(1, d), num(2, v)]))), bytes(7, graph)]);
}

/** C[m, n] = A[m, k] · B[k, n], dims symbolic. */
export function matmulModel(): Uint8Array {
  const g = cat([
    bytes(1, node('MatMul', ['A', 'B'], ['C'])),
    str(2, 'matmul'),
    bytes(11, valueInfo('A', ['m', 'k'])),
    bytes(11, valueInfo('B', ['k', 'n'])),
    bytes(12, valueInfo('C', ['m', 'n'])),
  ]);
  return model(g, [['', 17]]);
}

/** out[b, L, H·D] = softmax(Q·Kᵀ/√D)·V per head, with Q, K, V as [b, L, H·D] (MultiHeadAttention's layout). */
export function attentionModel(heads: number): Uint8Array {
  const g = cat([
    bytes(1, node('MultiHeadAttention', ['Q', 'K', 'V'], ['O'], { domain: 'com.microsoft', intAttrs: { num_heads: heads } })),
    str(2, 'attention'),
    ...['Q', 'K', 'V'].map((n) => bytes(11, valueInfo(n, ['b', 'L', 'c']))),
    bytes(12, valueInfo('O', ['b', 'L', 'c'])),
  ]);
  return model(g, [
    ['', 17],
    ['com.microsoft', 1],
  ]);
}
