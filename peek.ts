import { SafetensorsReader } from '@cleardit/tensor';
import { FileSource, writeSafetensorsFile } from '@cleardit/tensor/node';
const r = await SafetensorsReader.open(await FileSource.open(process.argv[2]));
const tensors: Record<string, any> = {};
for (const k of r.keys()) if (k.startsWith('ema.')) tensors[k.slice(4)] = { dtype: 'F32', shape: r.info(k).shape, data: await r.readF32(k) };
const meta = { config: JSON.stringify({ input_size: 32, patch_size: 2, in_channels: 1, hidden_size: 64, depth: 4, num_heads: 4, mlp_ratio: 4, num_classes: 10, learn_sigma: false }), prediction: 'flow' };
await writeSafetensorsFile(process.argv[3], tensors, meta, { overwrite: true });
await r.close();
